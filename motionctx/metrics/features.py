"""Frame features from a timm model with local weights, and how consistent they stay over a clip.

Model-based scorers (``subject_consistency``, ``background_consistency``) use this module. The
model is built with ``pretrained=False`` and its weights are read from a file the user gives, so
nothing is ever downloaded: a missing or mismatched file is a :class:`~motionctx.errors.WeightsError`
that names the recipe key and says how to get the file.

Weights may be a ``.safetensors`` file, a ``.bin``/``.pt``/``.pth`` state dict (read with
``torch.load(weights_only=True)``), or a folder downloaded from the Hugging Face hub for a timm
model (``model.safetensors`` or ``pytorch_model.bin`` inside).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from motionctx.errors import WeightsError
from motionctx.metrics.image import as_frames

if TYPE_CHECKING:
    import torch

#: files looked for, in this order, inside a weights folder
FOLDER_FILES = ("model.safetensors", "pytorch_model.bin")
TORCH_SUFFIXES = (".bin", ".pt", ".pth")


def save_hint(model: str, key: str) -> str:
    """How to get a weights file for timm model ``model`` on a machine with internet access."""
    return (
        f"set `{key}` to a local file; on a machine with internet run: python -c \"import timm, "
        f"safetensors.torch as st; st.save_file(timm.create_model('{model}', pretrained=True).state_dict(), "
        f"'{model.replace('/', '_')}.safetensors')\" (or download the hub folder timm/{model}) and copy it here"
    )


def weights_file(path: str | Path, model: str, key: str = "weights") -> Path:
    """The tensor file ``path`` names (a file, or a hub folder holding one); WeightsError if absent."""
    p = Path(path).expanduser()
    if p.is_dir():
        for name in FOLDER_FILES:
            if (p / name).is_file():
                return p / name
        raise WeightsError(f"`{key}`: folder {str(p)!r} holds none of {', '.join(FOLDER_FILES)}",
                           save_hint(model, key))
    if not p.is_file():
        raise WeightsError(f"`{key}`: weights {str(p)!r} for timm model {model!r} do not exist", save_hint(model, key))
    if p.suffix != ".safetensors" and p.suffix not in TORCH_SUFFIXES:
        raise WeightsError(f"`{key}`: {str(p)!r} is neither .safetensors nor a torch state dict "
                           f"({', '.join(TORCH_SUFFIXES)})", save_hint(model, key))
    return p


def read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """Tensors of a weights file; a checkpoint wrapping them under ``state_dict`` or ``model`` is unwrapped."""
    import torch

    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            return load_file(str(path))
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any reader failure means the file is unusable
        raise WeightsError(f"cannot read weights {str(path)!r}: {exc}"[:400], "the file is damaged or not a state dict") from None
    for wrapper in ("state_dict", "model"):
        if isinstance(state, dict) and isinstance(state.get(wrapper), dict):
            state = state[wrapper]
    if not isinstance(state, dict) or not state:
        raise WeightsError(f"weights {str(path)!r} hold no tensors", "save the model's state_dict()")
    return state


def _examples(keys: list[str]) -> str:
    return ", ".join(keys[:3]) + (f" and {len(keys) - 3} more" if len(keys) > 3 else "")


class FeatureModel:
    """A timm model in eval mode with its input size and normalisation; ``embed(frames)`` returns
    one L2-normalised feature vector per frame.

    ``pooled``: features before the classifier head (the head's weights in the file are ignored);
    otherwise the model's output (for timm's CLIP image towers: the projected image embedding).
    """

    def __init__(self, model: str, weights: str | Path, *, model_kwargs: dict[str, Any] | None = None,
                 pooled: bool = False, image_size: int | None = None, device: str | None = None,
                 key: str = "weights") -> None:
        import timm
        import torch

        if model.split(":", 1)[0] in ("hf-hub", "hf_hub"):
            raise WeightsError(f"`model`: {model!r} would be fetched from the hub",
                               "give a timm model name (e.g. vit_small_patch16_224.dino) and a local `weights` file")
        path = weights_file(weights, model, key)
        kwargs = dict(model_kwargs or {})
        if pooled:
            kwargs["num_classes"] = 0
        try:
            net = timm.create_model(model, pretrained=False, **kwargs)
        except (RuntimeError, TypeError, ValueError) as exc:
            raise WeightsError(f"timm cannot build model {model!r}: {exc}"[:400],
                               "use a name from timm.list_models() and keyword arguments it accepts") from None
        state = read_state_dict(path)
        if pooled:
            head = str(net.pretrained_cfg.get("classifier") or "head") + "."
            state = {k: v for k, v in state.items() if not k.startswith(head)}
        own = net.state_dict()
        missing = sorted(set(own) - set(state))
        extra = sorted(set(state) - set(own))
        shapes = sorted(k for k in set(own) & set(state) if tuple(own[k].shape) != tuple(state[k].shape))
        if missing or extra or shapes:
            parts = [f"{len(missing)} missing ({_examples(missing)})" if missing else "",
                     f"{len(extra)} unexpected ({_examples(extra)})" if extra else "",
                     f"{len(shapes)} of another shape ({_examples(shapes)})" if shapes else ""]
            raise WeightsError(
                f"`{key}`: {str(path)!r} does not fit timm model {model!r}"
                f"{' with ' + str(model_kwargs) if model_kwargs else ''}: tensors "
                + "; ".join(p for p in parts if p),
                f"set `model` (and `model_kwargs`) to the architecture the file was saved from; {save_hint(model, key)}",
            )
        net.load_state_dict(state, strict=True)
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        self.net = net.eval().to(self.device)
        cfg = timm.data.resolve_model_data_config(net)
        embed_size = getattr(getattr(net, "patch_embed", None), "img_size", None)  # ViTs fix their input size
        self.size = int(image_size or (embed_size[0] if embed_size else cfg["input_size"][-1]))
        self.mean = torch.tensor(cfg["mean"]).view(1, 3, 1, 1)
        self.std = torch.tensor(cfg["std"]).view(1, 3, 1, 1)

    def preprocess(self, frames: torch.Tensor) -> torch.Tensor:
        """``[T, 3, H, W]`` in [0, 1]: shorter side resized to the model's size, centre-cropped square,
        normalised with the model's mean and standard deviation."""
        import torch.nn.functional as F

        h, w = frames.shape[-2:]
        scale = self.size / min(h, w)
        nh, nw = max(self.size, round(h * scale)), max(self.size, round(w * scale))
        x = F.interpolate(frames, size=(nh, nw), mode="bicubic", align_corners=False, antialias=nh < h)
        top, left = (nh - self.size) // 2, (nw - self.size) // 2
        x = x[..., top : top + self.size, left : left + self.size].clamp(0, 1)
        return (x - self.mean.to(x.device)) / self.std.to(x.device)

    def embed(self, video: Any, batch: int = 16) -> torch.Tensor:
        """``[T, D]`` unit-length features of every frame of ``video`` (a Video or ``[T, 3, H, W]``)."""
        import torch
        import torch.nn.functional as F

        frames = as_frames(video, "video")
        out = []
        with torch.inference_mode():
            for i in range(0, frames.shape[0], batch):
                x = self.preprocess(frames[i : i + batch]).to(self.device)
                feats = self.net(x).float().flatten(1)
                out.append(F.normalize(feats, dim=-1).cpu())
        return torch.cat(out)


def feature_consistency(features: torch.Tensor) -> dict[str, float]:
    """How steady per-frame features ``[T, D]`` (unit length) stay, as the VBench subject and
    background consistency measure it: each frame after the first is compared (cosine, negatives
    counted as 0) with the first frame and with the frame before; ``to_first`` and ``to_previous``
    average those, ``consistency`` is their mean. 1 = every frame looks the same to the model.
    Empty for a clip of fewer than 2 frames."""
    if features.shape[0] < 2:
        return {}
    rest = features[1:]
    first = (rest @ features[0]).clamp(0, 1)
    prev = (rest * features[:-1]).sum(dim=1).clamp(0, 1)
    return {"consistency": float(((first + prev) / 2).mean()), "to_first": float(first.mean()),
            "to_previous": float(prev.mean())}
