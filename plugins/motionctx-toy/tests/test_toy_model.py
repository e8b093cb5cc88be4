"""The packing autoencoder, the tiny toy pipeline loaded by wan_i2v, and the toy dataset stage."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from motionctx import build_part
from motionctx.io import read_jsonl, read_video
from motionctx.recipe import load_recipe
from motionctx.testing import random_image, random_video
from motionctx_toy.model import build_toy_model
from motionctx_toy.vae import PackedVideoAutoencoder


def test_packing_is_lossless_and_saves(tmp_path: Path) -> None:
    vae = PackedVideoAutoencoder(patch=4)
    x = torch.rand(2, 3, 5, 16, 24) * 2 - 1
    z = vae.encode(x).latent_dist.mode()
    assert z.shape == (2, 48, 5, 4, 6) and vae.config.z_dim == 48
    assert torch.allclose(vae.decode(z, return_dict=False)[0], x, atol=1e-5)  # all 16 coefficients: lossless
    vae.save_pretrained(tmp_path / "vae")
    again = PackedVideoAutoencoder.from_pretrained(tmp_path / "vae")
    assert again.config.scale_factor_spatial == 4 and again.config.scale_factor_temporal == 1
    with pytest.raises(ValueError, match="multiples of 4"):
        vae.encode(torch.zeros(1, 3, 1, 10, 8))


def test_kept_low_frequencies_reconstruct_toy_frames_well() -> None:
    from motionctx_toy.metrics import psnr
    from motionctx_toy.world import ToyWorld

    clip = ToyWorld(size=(48, 48), frames=3).clip(11)
    vae = PackedVideoAutoencoder(patch=4, keep=8)
    x = clip.video.frames.permute(1, 0, 2, 3).unsqueeze(0) * 2 - 1
    z = vae.encode(x).latent_dist.mode()
    assert z.shape[1] == 24
    rec = (vae.decode(z).sample[0].permute(1, 0, 2, 3) + 1) / 2
    assert psnr(rec.clamp(0, 1), clip.video.frames) > 24.0


@pytest.fixture(scope="module")
def toy_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_toy_model(tmp_path_factory.mktemp("toy") / "model", num_layers=1, ffn_dim=64, keep=16)


def test_wan_backbone_loads_the_toy_pipeline(toy_model: Path) -> None:
    bb = build_part("backbone", "wan_i2v", {"path": str(toy_model), "dtype": "float32", "max_sequence_length": 32})
    bb.ensure_loaded()
    g = bb.geometry
    assert (g.spatial_factor, g.temporal_factor, g.size_multiple) == (4, 1, 8)
    comp = build_part("composer", "spatial").compose(random_image(16, 16), random_video(3, 16, 16))
    out = bb.sample(comp, "a figure waves", steps=2, guidance=1.0, seed=0)
    assert out.frames.shape == (3, 3, 16, 32)
    again = bb.sample(comp, "a figure waves", steps=2, guidance=1.0, seed=0)
    assert torch.equal(out.frames, again.frames)
    # with every DCT coefficient kept the VAE is lossless: encoding then decoding gives the composite back
    lat = bb.encode_video(comp.video)
    assert (bb.decode(lat).frames - comp.video.frames).abs().max() < 1e-5


def test_toy_stages_write_model_and_resumable_dataset(tmp_path: Path) -> None:
    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        f"motionctx: 1\nname: t\noutput: {tmp_path / 'out'}\nstages:\n"
        f"  - {{run: toy_model, with: {{folder: {tmp_path / 'm'}, num_layers: 1, ffn_dim: 32}}}}\n"
        f"  - {{run: toy_dataset, with: {{folder: {tmp_path / 'd'}, count: 3, size: [32, 32], frames: 5}}}}\n"
    )
    load_recipe(recipe).run(progress=False)
    assert (tmp_path / "m" / "model_index.json").is_file()
    lines = read_jsonl(tmp_path / "d" / "manifest.jsonl")
    assert [l["id"] for l in lines] == ["clip0000000", "clip0000001", "clip0000002"]
    clip = read_video(tmp_path / "d" / lines[0]["path"])
    assert clip.num_frames == 5 and clip.size == (32, 32) and lines[0]["caption"]
    stamp = (tmp_path / "d" / "clip0000001.mp4").stat().st_mtime_ns
    (tmp_path / "d" / "clip0000002.mp4").unlink()  # an interrupted run
    load_recipe(recipe).run(progress=False)
    assert (tmp_path / "d" / "clip0000002.mp4").is_file()
    assert (tmp_path / "d" / "clip0000001.mp4").stat().st_mtime_ns == stamp  # finished clips are not redone


def test_full_model_round_trips_through_save_pretrained(toy_model: Path, tmp_path: Path) -> None:
    bb = build_part("backbone", "wan_i2v", {"path": str(toy_model), "dtype": "float32"})
    bb.ensure_loaded()
    with torch.no_grad():
        for p in bb.pipe.transformer.parameters():
            p.add_(0.01)
    out = bb.save_pretrained(tmp_path / "trained")
    again = build_part("backbone", "wan_i2v", {"path": str(out), "dtype": "float32"})
    again.ensure_loaded()
    for (n, a), (_, b) in zip(bb.pipe.transformer.named_parameters(), again.pipe.transformer.named_parameters()):
        assert torch.equal(a, b), n
