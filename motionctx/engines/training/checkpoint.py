"""Training checkpoints: complete or absent, never half written.

A checkpoint is a folder ``step-00000100/`` holding

- ``trainable.safetensors``: the trained tensors (LoRA adapters, or the whole model in a full
  fine-tune) by parameter name; ``ema.safetensors`` when EMA is on; in LoRA mode also the
  adapters as a LoRA file (written by the trainer; see ``checkpoint_lora``);
- ``optimizer.pt`` (loaded with ``weights_only=True``) and ``scheduler.json``;
- ``rng-<rank>.json``: every process's Python, NumPy and torch (CPU and CUDA) generator states;
- ``checkpoint.json``: step, data position, world size, metrics; written last.

All processes write into ``.step-00000100.partial/``; after a barrier rank 0 writes
``checkpoint.json`` and renames the folder, so a crash at any moment leaves the previous
checkpoint as the latest complete one.
"""

from __future__ import annotations

import json
import random
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from motionctx.errors import InputError
from motionctx.io import atomic_write_json

if TYPE_CHECKING:
    import torch

__all__ = [
    "Checkpoint",
    "find_resume",
    "fingerprint",
    "latest",
    "list_checkpoints",
    "load",
    "rng_state",
    "save",
    "set_rng_state",
]

_NAME = re.compile(r"^step-(\d{8})$")
META = "checkpoint.json"


def step_dir(root: Path, step: int) -> Path:
    return root / f"step-{step:08d}"


def list_checkpoints(root: Path) -> list[tuple[int, Path]]:
    """Complete checkpoints under ``root`` as ``(step, folder)``, oldest first."""
    out = []
    if root.is_dir():
        for p in root.iterdir():
            m = _NAME.match(p.name)
            if m and (p / META).is_file():
                out.append((int(m.group(1)), p))
    return sorted(out)


def latest(root: Path) -> Path | None:
    found = list_checkpoints(root)
    return found[-1][1] if found else None


def find_resume(root: Path, resume: str) -> Path | None:
    """The checkpoint to resume from: ``auto`` = the latest complete one (or none), ``never`` =
    none, anything else = that folder (which must be a complete checkpoint)."""
    if resume == "never":
        return None
    if resume == "auto":
        return latest(root)
    p = Path(resume)
    if not (p / META).is_file():
        raise InputError(
            f"resume: {str(p)!r} is not a complete checkpoint (no {META})",
            f"use resume: auto, or one of the step-* folders under {root}",
        )
    return p


# -------------------------------------------------------------------- RNG states


def rng_state() -> dict[str, Any]:
    """Python, NumPy and torch generator states as JSON data."""
    import numpy as np
    import torch

    np_state = np.random.get_state()
    state: dict[str, Any] = {
        "python": [random.getstate()[0], list(random.getstate()[1]), random.getstate()[2]],
        "numpy": [
            np_state[0],
            np_state[1].tolist(),
            *[v if not hasattr(v, "item") else v.item() for v in np_state[2:]],
        ],
        "torch": torch.get_rng_state().tolist(),
    }
    if torch.cuda.is_available():
        state["cuda"] = [s.tolist() for s in torch.cuda.get_rng_state_all()]
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    import numpy as np
    import torch

    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    name, keys, *rest = state["numpy"]
    np.random.set_state((name, np.array(keys, dtype=np.uint32), *rest))
    torch.set_rng_state(torch.tensor(state["torch"], dtype=torch.uint8))
    if "cuda" in state and torch.cuda.is_available() and len(state["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all([torch.tensor(s, dtype=torch.uint8) for s in state["cuda"]])


def fingerprint(tensors: dict[str, torch.Tensor], exact_limit: int = 1 << 26) -> dict[str, Any]:
    """A digest of trained weights to compare processes: SHA-256 of the bytes when there are at
    most ``exact_limit`` elements (LoRA), else float64 sums (cheap for a full model)."""
    import hashlib

    count = sum(t.numel() for t in tensors.values())
    if count <= exact_limit:
        h = hashlib.sha256()
        for k in sorted(tensors):
            h.update(k.encode())
            h.update(tensors[k].detach().float().cpu().contiguous().numpy().tobytes())
        return {"sha256": h.hexdigest(), "elements": count}
    sums = [float(tensors[k].detach().double().sum()) for k in sorted(tensors)]
    squares = [float(tensors[k].detach().double().square().sum()) for k in sorted(tensors)]
    return {"sum": sum(sums), "sum_squares": sum(squares), "elements": count}


# -------------------------------------------------------------------- save / load


@dataclass
class Checkpoint:
    """A loaded checkpoint."""

    path: Path
    meta: dict[str, Any]
    trainable: dict[str, torch.Tensor]
    optimizer: dict[str, Any] | None = None
    scheduler: dict[str, Any] | None = None
    ema: dict[str, torch.Tensor] | None = None
    rng: dict[str, Any] | None = field(default=None)

    @property
    def step(self) -> int:
        return int(self.meta["step"])


def save(
    root: Path,
    step: int,
    *,
    rank: int,
    barrier: Callable[[], None],
    trainable: Callable[[], dict[str, torch.Tensor]],
    optimizer: Callable[[], dict[str, Any]],
    scheduler: dict[str, Any],
    ema: dict[str, torch.Tensor] | None,
    meta: dict[str, Any],
    keep: int,
    each_rank: Callable[[Path], None] | None = None,
) -> Path:
    """Write checkpoint ``step`` (collective: every process calls it); returns the final folder.

    ``trainable`` and ``optimizer`` are called on rank 0 only (after a barrier, so they may
    gather). ``each_rank(folder)`` runs on every process (per-rank files such as ``weights-<rank>.json``
    fingerprints, or accelerate's sharded ``save_state``); when fingerprints are there,
    ``checkpoint.json`` records whether every process held the same weights.
    Older checkpoints beyond ``keep`` are deleted.
    """
    import torch
    from safetensors.torch import save_file

    final = step_dir(root, step)
    tmp = root / f".{final.name}.partial"
    if rank == 0:
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir(parents=True)
    barrier()
    atomic_write_json(tmp / f"rng-{rank}.json", rng_state(), indent=0)
    if each_rank is not None:
        each_rank(tmp)
    tensors = trainable() if rank == 0 else None
    opt_state = optimizer() if rank == 0 else None
    if rank == 0:
        assert tensors is not None
        save_file({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, str(tmp / "trainable.safetensors"))
        if ema is not None:
            save_file({k: v.detach().cpu().contiguous() for k, v in ema.items()}, str(tmp / "ema.safetensors"))
        torch.save(opt_state, tmp / "optimizer.pt")
        (tmp / "scheduler.json").write_text(json.dumps(scheduler), encoding="utf-8")
    barrier()
    if rank == 0:
        prints = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(tmp.glob("weights-*.json"))]
        if prints:
            meta = {**meta, "replicas_agree": all(p == prints[0] for p in prints)}
        atomic_write_json(tmp / META, {**meta, "step": step, "complete": True})
        if final.exists():  # a re-save of the same step (e.g. stopped right after a periodic save)
            shutil.rmtree(final)
        tmp.rename(final)
        for _, old in list_checkpoints(root)[:-keep]:
            shutil.rmtree(old, ignore_errors=True)
    barrier()
    return final


def load(path: Path, rank: int = 0) -> Checkpoint:
    """Read a checkpoint folder (this process's RNG state included, when saved)."""
    import torch
    from safetensors.torch import load_file

    try:
        meta = json.loads((path / META).read_text(encoding="utf-8"))
        trainable = load_file(str(path / "trainable.safetensors"))
        ema = load_file(str(path / "ema.safetensors")) if (path / "ema.safetensors").is_file() else None
        opt = torch.load(path / "optimizer.pt", map_location="cpu", weights_only=True)
        sched = json.loads((path / "scheduler.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, RuntimeError) as exc:
        raise InputError(
            f"checkpoint {str(path)!r} cannot be read ({type(exc).__name__}: {exc})".splitlines()[0],
            "delete it to resume from the one before, or set resume: never",
        ) from None
    rng_file = path / f"rng-{rank}.json"
    rng = json.loads(rng_file.read_text(encoding="utf-8")) if rng_file.is_file() else None
    return Checkpoint(path, meta, trainable, opt, sched, ema, rng)


def load_weights(backbone: Any, path: Path, *, ema: bool = True) -> int:
    """Put a full fine-tune checkpoint's weights into ``backbone``'s networks (to sample or score a
    run part-way); returns how many tensors were set. With ``ema`` the average is used when the
    checkpoint has one, as the final export does. LoRA checkpoints are refused: their LoRA file is
    loaded as any LoRA is."""
    import torch
    from safetensors.torch import load_file

    from motionctx.engines.training.model import training_modules

    path = Path(path)
    file = path / ("ema.safetensors" if ema and (path / "ema.safetensors").is_file() else "trainable.safetensors")
    try:
        state = load_file(str(file))
    except (OSError, ValueError, RuntimeError) as exc:
        raise InputError(f"checkpoint weights {str(file)!r} cannot be read ({type(exc).__name__})",
                         "pass a complete checkpoint folder (step-NNNNNNNN/ with checkpoint.json)") from None
    state.pop("__updates__", None)
    if any("lora_" in k for k in state):
        raise InputError(f"{str(path)!r} is a LoRA checkpoint",
                         "load its lora.safetensors as a LoRA (the backbone's `lora` parameter) instead")
    named = {f"{i}.{n}": p for i, m in enumerate(training_modules(backbone)) for n, p in m.named_parameters()}
    wrong = sorted(set(state) ^ set(named)) or sorted(k for k in state if state[k].shape != named[k].shape)
    if wrong:
        raise InputError(f"checkpoint {str(path)!r} does not fit this backbone ({len(wrong)} tensors differ, "
                         f"e.g. {wrong[0]!r})", "load the model the run started from (its backbone `path`)")
    with torch.no_grad():
        for k, v in state.items():
            named[k].copy_(v.to(named[k].device, named[k].dtype))
    return len(state)
