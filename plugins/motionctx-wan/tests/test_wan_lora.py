"""LoRA: FFN-only adapters, zero-B no-op, diffusers-format files that diffusers and ComfyUI layouts reload."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from motionctx.builtins.composers import FirstFrameComposer, SpatialComposer
from motionctx.errors import RecipeError, WeightsError


def randomise_lora(bb, seed: int = 0) -> None:
    g = torch.Generator().manual_seed(seed)
    for model in bb.experts():
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.data = torch.randn(p.shape, generator=g) * 0.5


def spatial(bb, image, video):
    return SpatialComposer().compose(image(16, 16), video(5, 16, 16), bb.geometry)


def test_adapters_sit_on_feed_forward_layers_only(fresh_backbone):
    bb = fresh_backbone("i2v", lora_rank=4)
    bb.add_lora()
    names = [n for n, p in bb.pipe.transformer.named_parameters() if p.requires_grad]
    assert names and all(".ffn.net.0.proj." in n or ".ffn.net.2." in n for n in names)
    assert all("attn" not in n and "condition_embedder" not in n for n in names)
    assert len(names) == 2 * 2 * 2  # 2 blocks x 2 layers x (A, B)
    assert {p.shape[0] for n, p in bb.pipe.transformer.named_parameters() if "lora_A" in n} == {4}
    assert len(bb.trainable_parameters()) == len(names)
    assert all(p.dtype == torch.float32 for p in bb.trainable_parameters())


def test_zero_b_changes_nothing_random_b_changes_output(fresh_backbone, image, video):
    bb = fresh_backbone("i2v", lora_rank=4)
    comp = spatial(bb, image, video)
    before = bb.sample(comp, "x", steps=2, guidance=1.0).frames
    bb.add_lora()
    assert torch.equal(bb.sample(comp, "x", steps=2, guidance=1.0).frames, before)
    randomise_lora(bb)
    assert (bb.sample(comp, "x", steps=2, guidance=1.0).frames - before).abs().max() > 1e-3


def test_saved_lora_reloads_bit_exactly_into_a_fresh_diffusers_pipeline(fresh_backbone, tiny_folders, image, tmp_path):
    from diffusers import WanImageToVideoPipeline

    bb = fresh_backbone("i2v", lora_rank=4, lora_alpha=8.0)
    bb.add_lora()
    randomise_lora(bb, seed=1)
    path = tmp_path / "out" / "motion.safetensors"
    bb.save_lora(path)
    assert [p.name for p in path.parent.iterdir()] == ["motion.safetensors"]  # no temp files left
    with safe_open(str(path), framework="pt") as fh:
        keys = list(fh.keys())
        meta = json.loads(fh.metadata()["lora_adapter_metadata"])
    assert keys and all(k.startswith("transformer.blocks.") and ".ffn.net." in k for k in keys)
    assert meta["transformer.r"] == 4 and meta["transformer.lora_alpha"] == 8.0

    pipe = WanImageToVideoPipeline.from_pretrained(str(tiny_folders["i2v"]), local_files_only=True)
    pipe.set_progress_bar_config(disable=True)
    pipe.load_lora_weights(str(path))
    ours = {n.replace(".motionctx.", "."): p for n, p in bb.pipe.transformer.named_parameters() if "lora_" in n}
    theirs = {n.replace(".default_0.", "."): p for n, p in pipe.transformer.named_parameters() if "lora_" in n}
    assert ours.keys() == theirs.keys()
    assert all(torch.equal(ours[k].data, theirs[k].data) for k in ours)
    assert pipe.transformer.peft_config["default_0"].lora_alpha == 8.0

    # and the diffusers pipeline with the file produces our frames (first_frame parity with LoRA)
    ref = image(32, 32)
    comp = FirstFrameComposer().compose(ref, torch_video(5, 32))
    ours_video = bb.sample(comp, "a", negative_prompt="b", steps=2, guidance=3.0, seed=2).frames
    from PIL import Image as PILImage

    pil = PILImage.fromarray(ref.pixels.mul(255).round().byte().permute(1, 2, 0).numpy())
    stock = pipe(
        image=pil, prompt="a", negative_prompt="b", height=32, width=32, num_frames=5, num_inference_steps=2,
        guidance_scale=3.0, generator=torch.Generator().manual_seed(2), output_type="pt",
    ).frames[0]
    assert (ours_video - stock).abs().max().item() < 1e-4


def torch_video(t: int, s: int):
    from motionctx.types import Video

    return Video(torch.full((t, 3, s, s), 0.3))


@pytest.mark.parametrize("names", ["original", "diffusers"])
def test_comfyui_layouts_load_to_the_same_model(names, fresh_backbone, image, video, tmp_path):
    bb = fresh_backbone("i2v_moe", lora_rank=4)
    bb.add_lora()
    randomise_lora(bb, seed=2)
    comp = spatial(bb, image, video)
    want = bb.sample(comp, "x", steps=2, guidance=1.0).frames
    bb.save_lora(tmp_path / "l.safetensors")
    assert (tmp_path / "l_low_noise.safetensors").is_file()  # the second expert's adapter

    for stem in ("l", "l_low_noise"):
        comfy = {}
        for k, v in load_file(tmp_path / f"{stem}.safetensors").items():
            k = k.replace("transformer.", "diffusion_model.")
            k = k.replace("lora_A", "lora_down").replace("lora_B", "lora_up")
            if names == "original":
                k = k.replace("ffn.net.0.proj", "ffn.0").replace("ffn.net.2", "ffn.2")
            # rank 4 stored with alpha 2: the loader must fold alpha/rank = 0.5 into the weights
            comfy[k] = v * 2.0 if "lora_down" in k else v
            if "lora_down" in k:
                comfy[k.replace(".lora_down.weight", ".alpha")] = torch.tensor(2.0)
        save_file(comfy, tmp_path / f"comfy{stem[1:]}.safetensors")

    other = fresh_backbone("i2v_moe")
    other.load_lora(tmp_path / "comfy.safetensors")
    assert len(other.trainable_parameters()) == len(bb.trainable_parameters())
    got = other.sample(comp, "x", steps=2, guidance=1.0).frames
    assert (got - want).abs().max().item() < 1e-5


def test_load_lora_reports_bad_files(fresh_backbone, tmp_path):
    bb = fresh_backbone("i2v")
    with pytest.raises(WeightsError, match="does not exist"):
        bb.load_lora(tmp_path / "missing.safetensors")
    (tmp_path / "junk.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(WeightsError, match="not a readable safetensors"):
        bb.load_lora(tmp_path / "junk.safetensors")
    save_file({"transformer.blocks.0.ffn.net.2.lora_A.weight": torch.zeros(4, 99),
               "transformer.blocks.0.ffn.net.2.lora_B.weight": torch.zeros(24, 4)}, tmp_path / "wrong.safetensors")
    with pytest.raises(WeightsError, match="does not fit"):
        bb.load_lora(tmp_path / "wrong.safetensors")


def test_lora_errors(fresh_backbone, tmp_path):
    bb = fresh_backbone("ti2v")
    with pytest.raises(RecipeError, match="no LoRA adapter"):
        bb.save_lora(tmp_path / "x.safetensors")
    with pytest.raises(RecipeError, match="match no module"):
        bb.add_lora(rank=2, targets=(r"nothing\.here",))


def test_lora_from_config_is_loaded_at_start_up(tmp_path) -> None:
    """`lora:` in the recipe loads a saved adapter when the backbone loads."""
    import torch

    from motionctx import build_part
    from motionctx_wan.tiny import build_tiny_wan

    folder = build_tiny_wan(tmp_path / "m", variant="i2v")
    a = build_part("backbone", "wan_i2v", {"path": str(folder), "dtype": "float32", "lora_rank": 4})
    a.ensure_loaded()
    a.add_lora()
    with torch.no_grad():
        for p in a.trainable_parameters():
            p.normal_(0, 0.05)
    a.save_lora(tmp_path / "l.safetensors")
    b = build_part("backbone", "wan_i2v", {"path": str(folder), "dtype": "float32", "lora": str(tmp_path / "l.safetensors")})
    b.ensure_loaded()
    got = {n: p for n, p in b.experts()[0].named_parameters() if "lora" in n}
    want = {n: p for n, p in a.experts()[0].named_parameters() if "lora" in n}
    assert got and set(got) == set(want)
    assert all(torch.equal(got[n].float(), want[n].float()) for n in got)
    missing = build_part("backbone", "wan_i2v", {"path": str(folder), "lora": str(tmp_path / "nope.safetensors")})
    import pytest

    from motionctx.errors import WeightsError

    with pytest.raises(WeightsError, match="nope.safetensors"):
        missing.ensure_loaded()
