"""The packing autoencoder, the tiny toy pipeline loaded by wan_i2v, and the toy dataset stage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from motionctx import build_part
from motionctx.io import read_jsonl, read_video
from motionctx.pipeline import Pipeline
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


def test_toy_dataset_mixes_in_pair_clips(tmp_path: Path) -> None:
    from motionctx_toy.dataset import write_toy_dataset

    manifest = write_toy_dataset(tmp_path, 12, size=(32, 32), frames=3, pairs=0.5)
    lines = read_jsonl(manifest)
    pairs = [l for l in lines if l["id"].startswith("pair")]
    assert 0 < len(pairs) < 12
    assert read_video(tmp_path / pairs[0]["path"]).size == (32, 64)
    assert "Another character" in pairs[0]["caption"]
    again = [l["id"] for l in read_jsonl(write_toy_dataset(tmp_path / "b", 12, size=(32, 32), frames=3, pairs=0.5))]
    assert again == [l["id"] for l in lines]  # which seeds are pairs is fixed by the seed


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


def test_bundle_copies_model_lora_and_training_summary(toy_model: Path, tmp_path: Path) -> None:
    import json
    import shutil

    from motionctx.errors import InputError
    from motionctx.io import append_jsonl
    from motionctx_toy import bundling
    from motionctx_toy.bundling import bundle_model

    logs = tmp_path / "train"
    logs.mkdir()
    for i in range(10):  # stopped after the 5th log line for an hour, then resumed
        t = 1000.0 + 60 * i + (3600 if i >= 5 else 0)
        append_jsonl(logs / "metrics.jsonl", {"step": 25 * (i + 1), "loss": 2.0 - 0.1 * i, "step_time": 0.5, "time": t})
    lora = tmp_path / "lora.safetensors"
    lora.write_bytes(b"weights")
    src = tmp_path / "trained"  # as a loaded-and-saved model: configs name the training machine's path
    shutil.copytree(toy_model, src)
    index = json.loads((src / "model_index.json").read_text())
    (src / "model_index.json").write_text(json.dumps({**index, "_name_or_path": "/home/me/outputs/toy/init"}))
    dest = bundle_model(src, lora, {"pretrain": logs}, tmp_path / "bundled")
    assert (dest / "model" / "model_index.json").is_file() and (dest / "pose_lora.safetensors").read_bytes() == b"weights"
    assert not [p for p in (dest / "model").rglob("*.json") if "_name_or_path" in p.read_text()]  # no local paths
    summary = json.loads((dest / "training.json").read_text())["pretrain"]
    assert summary["steps"] == 250 and summary["minutes"] == pytest.approx(9.0)  # the pause is not training time
    assert summary["loss_start"] == pytest.approx(1.85) and summary["loss_end"] == pytest.approx(1.25)
    build_part("backbone", "wan_i2v", {"path": str(dest / "model"), "max_sequence_length": 32}).ensure_loaded()

    bundling.SIZE_BUDGET, budget = 1000, bundling.SIZE_BUDGET
    try:
        with pytest.raises(InputError, match="over the"):
            bundle_model(toy_model, lora, {}, dest)
    finally:
        bundling.SIZE_BUDGET = budget
    assert (dest / "training.json").is_file()  # the earlier bundle is untouched
    with pytest.raises(InputError, match="no LoRA file"):
        bundle_model(toy_model, tmp_path / "missing.safetensors", {}, tmp_path / "other")
    with pytest.raises(InputError, match="not an earlier output"):  # never replaces a folder of other things
        bundle_model(toy_model, lora, {}, logs)
    assert (logs / "metrics.jsonl").is_file()
    # a fully trained model bundles without a LoRA, with the backbone settings it must be sampled with
    full = bundle_model(src, None, {"pose_full": logs}, tmp_path / "full", backbone={"rope_parts": 2})
    assert not (full / "pose_lora.safetensors").exists()
    assert json.loads((full / "training.json").read_text())["backbone"] == {"rope_parts": 2}


def test_training_summary_counts_steps_redone_after_a_resume_once(tmp_path: Path) -> None:
    from motionctx.io import append_jsonl
    from motionctx_toy.bundling import training_summary

    log = tmp_path / "metrics.jsonl"
    # steps 50..150 a minute apart, 175 slowly (beside other work), then stopped; resumed a day later
    # from the checkpoint at 150: 175 logged again, and 200, a minute apart
    rows = [(50, 0), (100, 60), (150, 120), (175, 600), (175, 86400), (200, 86460)]
    for step, t in rows:
        append_jsonl(log, {"step": step, "loss": 1.0 if t < 86400 else 0.5, "step_time": 1.0, "time": t})
    summary = training_summary(tmp_path, window=1)
    assert summary["steps"] == 200 and summary["loss_end"] == 0.5
    assert summary["minutes"] == pytest.approx(4.0)  # 3 gaps of a minute, the resume counted as one


def test_latent_scale_is_per_coefficient_or_one_for_all(tmp_path: Path) -> None:
    import json

    from motionctx_toy.model import DCT_STDS

    per = build_toy_model(tmp_path / "per", num_layers=1, ffn_dim=32, latent_std=None)
    one = build_toy_model(tmp_path / "one", num_layers=1, ffn_dim=32)  # the default: one scale, 2.0
    assert json.loads((per / "vae" / "config.json").read_text())["latents_std"] == DCT_STDS * 3
    assert json.loads((one / "vae" / "config.json").read_text())["latents_std"] == [2.0] * 24
    bb = build_part("backbone", "wan_i2v", {"path": str(one), "dtype": "float32", "max_sequence_length": 16})
    video = random_video(3, 16, 16)
    lat = bb.encode_video(video)
    raw = bb.pipe.vae.encode(video.frames.permute(1, 0, 2, 3).unsqueeze(0) * 2 - 1).latent_dist.mode()
    assert torch.allclose(lat, raw / 2.0, atol=1e-5)  # normalised by the one scale


def test_toy_dataset_stage_frames_clips_as_asked(tmp_path: Path) -> None:
    from typing import get_args

    from motionctx_toy.background import KINDS
    from motionctx_toy.dataset import write_toy_dataset
    from motionctx_toy.stages import ToyDatasetStage

    close = write_toy_dataset(tmp_path / "close", 2, size=(32, 32), frames=3, scale=1.4, span=0.5,
                              background_kind="plain", references=True)
    wide = write_toy_dataset(tmp_path / "wide", 2, size=(32, 32), frames=3, references=True)
    spec = json.loads((close.parent / "clip0000000.toy.json").read_text())["spec"]
    assert spec["placements"][0]["scale"] == 1.4 and spec["placements"][0]["span"] == 0.5
    assert spec["background_kind"] == "plain"
    still = json.loads((close.parent / "clip0000000.reference.toy.json").read_text())["spec"]
    assert still["placements"][0]["scale"] == 1.4 and still["background_kind"] == "plain"
    frames = [read_video(m.parent / "clip0000000.mp4").frames for m in (close, wide)]
    assert not torch.equal(frames[0], frames[1])
    kinds = get_args(get_args(ToyDatasetStage.Config.model_fields["background_kind"].annotation)[0])
    assert set(kinds) == set(KINDS)  # the stage accepts exactly the kinds the world draws


def test_toy_dataset_reference_stills(tmp_path: Path) -> None:
    """With ``references``, each one-character clip gets a still of its own character and
    background in another pose and place, listed as the manifest's reference (pairs get none)."""
    from motionctx.engines.training.manifest import read_manifest
    from motionctx.io import read_image
    from motionctx_toy.assets import read_sidecar
    from motionctx_toy.dataset import write_toy_dataset

    manifest = write_toy_dataset(tmp_path, 6, size=(32, 32), frames=5, pairs=0.3, references=True)
    entries = {e.id: e for e in read_manifest(manifest)}
    singles = [e for i, e in entries.items() if i.startswith("clip")]
    assert singles and all(e.reference is not None and e.reference.is_file() for e in singles)
    assert all(e.reference is None for i, e in entries.items() if i.startswith("pair"))
    for e in singles:
        still = read_image(e.reference)
        first = read_video(e.path).frame(0)
        assert still.size == (32, 32)
        assert (still.pixels - first.pixels).abs().mean() > 0.01  # another pose, not the first frame
        ref_meta, clip_meta = read_sidecar(e.reference), read_sidecar(e.path)
        assert ref_meta["characters"] == clip_meta["characters"]  # the same identity
        assert ref_meta["spec"]["background"] == clip_meta["spec"]["background"]  # on the same background
        assert ref_meta["motions"][0]["seed"] != clip_meta["motions"][0]["seed"]


def test_toy_dataset_reference_fraction(tmp_path: Path) -> None:
    """``references`` as a fraction: that share of clips get a still, the rest none (their first
    frame is the reference), fixed by the seed."""
    from motionctx.engines.training.manifest import read_manifest
    from motionctx_toy.dataset import write_toy_dataset

    first = [e.reference is not None for e in read_manifest(write_toy_dataset(tmp_path / "a", 16, size=(32, 32), frames=2,
                                                                              references=0.5))]
    again = [e.reference is not None for e in read_manifest(write_toy_dataset(tmp_path / "b", 16, size=(32, 32), frames=2,
                                                                              references=0.5))]
    assert first == again and 3 <= sum(first) <= 13
    none = read_manifest(write_toy_dataset(tmp_path / "c", 4, size=(32, 32), frames=2, references=0.0))
    assert all(e.reference is None for e in none)
    with pytest.raises(ValueError, match="references"):
        write_toy_dataset(tmp_path / "d", 1, references=1.5)


def test_toy_dataset_keeps_its_own_clips_and_redraws_another_worlds(tmp_path: Path) -> None:
    """A rerun into the same folder renders nothing again; a folder written for another world
    (here: thinner bodies) gets its clips and stills redrawn, never silently reused."""
    from motionctx_toy.assets import read_sidecar
    from motionctx_toy.dataset import write_toy_dataset
    from motionctx_toy.world import ToyWorld

    thin = ToyWorld(size=(32, 32), frames=2)
    write_toy_dataset(tmp_path, 3, world=thin, references=1.0)
    files = sorted(tmp_path.glob("clip*"))
    stamps = {f: f.stat().st_mtime_ns for f in files}
    write_toy_dataset(tmp_path, 3, world=thin, references=1.0)
    assert {f: f.stat().st_mtime_ns for f in files} == stamps
    write_toy_dataset(tmp_path, 3, world=ToyWorld(size=(32, 32), frames=2, thickness=1.5), references=1.0)
    for media in [*tmp_path.glob("clip???????.mp4"), *tmp_path.glob("clip*.reference.png")]:
        assert read_sidecar(media)["spec"]["characters"][0]["thickness"] == 1.5


def test_toy_dataset_clips_are_lossless_and_lossy_ones_are_redrawn(tmp_path: Path) -> None:
    """Training clips hold the exact rendered pixels (4:2:0 video would blur 32-pixel characters'
    colours); a clip written lossy (an older dataset) is redrawn, not reused."""
    from motionctx.io import write_video
    from motionctx_toy.assets import read_sidecar, write_sidecar
    from motionctx_toy.clip import render_spec
    from motionctx_toy.dataset import write_toy_dataset
    from motionctx_toy.spec import ClipSpec
    from motionctx_toy.world import world_preset

    manifest = write_toy_dataset(tmp_path, 2, world=world_preset("simple"), references=1.0)
    line = read_jsonl(manifest)[0]
    clip = tmp_path / line["path"]
    assert read_sidecar(clip)["lossless"] is True and read_sidecar(tmp_path / line["reference"])["lossless"] is True
    rendered = render_spec(ClipSpec(**read_sidecar(clip)["spec"]))
    torch.testing.assert_close(read_video(clip).frames, rendered.video.frames, atol=1 / 255, rtol=0)
    write_video(clip, rendered.video)  # as an older dataset wrote it
    write_sidecar(clip, rendered)
    assert (read_video(clip).frames - rendered.video.frames).abs().max() > 0.1
    write_toy_dataset(tmp_path, 2, world=world_preset("simple"), references=1.0)
    assert read_sidecar(clip)["lossless"] is True
    torch.testing.assert_close(read_video(clip).frames, rendered.video.frames, atol=1 / 255, rtol=0)


def test_toy_dataset_stage_draws_a_named_world(tmp_path: Path) -> None:
    """``world: simple`` gives the simple world's clips; a framing key set beside it wins; an
    unknown world fails at load time, before anything is written."""
    from motionctx.errors import RecipeError
    from motionctx.io import read_jsonl, read_video
    from motionctx_toy.assets import read_sidecar

    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        "motionctx: 1\nname: r\noutput: out\nstages:\n"
        f"  - run: toy_dataset\n    with: {{folder: {tmp_path / 'a'}, count: 2, world: simple, references: true}}\n"
        f"  - run: toy_dataset\n    with: {{folder: {tmp_path / 'b'}, count: 1, world: simple, frames: 3}}\n"
    )
    Pipeline(load_recipe(recipe, {"output": str(tmp_path / "out")}), progress=False).run()
    line = read_jsonl(tmp_path / "a" / "manifest.jsonl")[0]
    clip = read_video(tmp_path / "a" / line["path"])
    assert (clip.num_frames, clip.size) == (5, (32, 32))
    spec = read_sidecar(tmp_path / "a" / line["path"])["spec"]
    assert spec["characters"][0]["flat"] and spec["motions"][0]["front"]
    assert read_sidecar(tmp_path / "a" / line["reference"])["spec"]["motions"][0]["front"]
    line = read_jsonl(tmp_path / "b" / "manifest.jsonl")[0]
    assert read_video(tmp_path / "b" / line["path"]).num_frames == 3
    recipe.write_text(
        "motionctx: 1\nname: r\noutput: out\nstages:\n"
        f"  - run: toy_dataset\n    with: {{folder: {tmp_path / 'c'}, count: 2, world: simpel}}\n"
    )
    with pytest.raises(RecipeError, match="simple"):
        load_recipe(recipe)
    assert not (tmp_path / "c").exists()


def test_bundle_command_takes_the_pose_full_run_and_its_backbone_settings(toy_model: Path, tmp_path: Path) -> None:
    """``motionctx toy bundle`` bundles ``pose_full/train/model`` with the backbone settings from the
    run's saved recipe; a missing run is one clear error (exit 2)."""
    import shutil
    import subprocess
    import sys

    from motionctx.io import append_jsonl

    train = tmp_path / "models" / "pose_full" / "train"
    shutil.copytree(toy_model, train / "model")
    for i in range(3):
        append_jsonl(train / "metrics.jsonl", {"step": 10 * (i + 1), "loss": 1.0 - 0.1 * i, "step_time": 0.5, "time": 100.0 + i})
    (train / "recipe.yaml").write_text(
        "parts:\n  backbone:\n    use: wan_i2v\n    with: {path: x, dtype: float32, max_sequence_length: 128,\n"
        "           rope_parts: 2, train_shift: 3.0}\n", encoding="utf-8")
    cli = [sys.executable, "-m", "motionctx.cli", "toy", "bundle", "--models", str(tmp_path / "models")]
    done = subprocess.run([*cli, "--dest", str(tmp_path / "b")], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    summary = json.loads((tmp_path / "b" / "training.json").read_text())
    assert summary["backbone"] == {"rope_parts": 2, "max_sequence_length": 128, "dtype": "float32"}
    assert summary["pose_full"]["steps"] == 30 and (tmp_path / "b" / "model" / "model_index.json").is_file()
    missing = subprocess.run([*cli[:-1], str(tmp_path / "none"), "--dest", str(tmp_path / "c")],
                             capture_output=True, text=True, timeout=300)
    assert missing.returncode == 2 and "model_index.json" in missing.stderr and not (tmp_path / "c").exists()
