"""The toy benchmark end to end on an untrained tiny model (structure, not quality)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from motionctx import build_part
from motionctx_toy.benchmark import default_variants, markdown_table, proportion_gap, result_line, run_benchmark
from motionctx_toy.bundled import bundled_model
from motionctx_toy.model import build_toy_model
from motionctx_toy.seeds import HELDOUT_START
from motionctx_toy.world import ToyWorld, world_preset

#: a small, fast world for structure tests
WORLD = world_preset("simple", "heldout", frames=3)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("bench")
    model = build_toy_model(root / "model", num_layers=1, ffn_dim=64)
    bb = build_part("backbone", "wan_i2v", {"path": str(model), "dtype": "float32", "lora_rank": 4})
    bb.ensure_loaded()
    bb.add_lora()
    bb.save_lora(root / "lora.safetensors")
    return model, root / "lora.safetensors"


def test_report_has_every_variant_metric_and_spread(tiny: tuple[Path, Path]) -> None:
    model, lora = tiny
    report = run_benchmark(default_variants(model, lora), seeds=[0, 1], cases=2, world=WORLD, steps=1)
    assert set(report["variants"]) == {"copy", "no_lora", "pose"}
    assert report["world"]["frames"] == 3 and report["world"]["flat"] is True
    for v in report["variants"].values():
        assert set(v["per_seed"]) == {"0", "1"}
        assert 0.0 <= v["iou"]["mean"] <= 1.0 and v["iou"]["std"] >= 0.0 and v["psnr"]["mean"] > 0
    assert report["variants"]["copy"]["iou"]["mean"] < 1.0  # the cases move: copying is not the answer
    assert "| pose |" in markdown_table(report)
    line = result_line(report)
    assert line.startswith("RESULT variant=pose iou=") and "iou_copy=" in line and "iou_margin_spread=" in line
    copy, pose = (report["variants"][v]["per_seed"] for v in ("copy", "pose"))
    expected = sum(pose[s]["psnr"] - copy[s]["psnr"] for s in ("0", "1")) / 2
    assert f"psnr_margin={expected:.4f}" in line


def test_fully_trained_models_are_scored_as_pose_full_and_e2e_full(tiny: tuple[Path, Path]) -> None:
    model, _ = tiny
    variants = default_variants(None, None, pose_model=model)
    assert [v.name for v in variants] == ["copy", "pose_full"]
    assert [v.name for v in default_variants(model, None, pose_model=model)] == ["copy", "pose_full", "no_lora"]
    with pytest.raises(ValueError, match="base model"):
        default_variants(None, model, pose_model=model)
    report = run_benchmark(variants, seeds=[0], cases=1, world=WORLD, steps=1)
    assert 0.0 <= report["variants"]["pose_full"]["iou"]["mean"] <= 1.0
    iou = report["variants"]["pose_full"]["iou"]["mean"]
    assert result_line(report).startswith(f"RESULT variant=pose_full iou={iou:.4f}")

    # e2e_full: one fully trained model (here the bundled one) read as pose_full is, but driven by raw frames
    bundled = bundled_model()
    variants = default_variants(None, None, pose_model=bundled, e2e_model=bundled, pose_backbone={"rope_parts": 2})
    assert [v.name for v in variants] == ["copy", "pose_full", "e2e_full"]
    full, e2e = variants[1].parts, variants[2].parts
    assert (e2e["composer"]["use"], e2e["motion"]["use"]) == ("spatial", "raw_video")
    assert e2e["backbone"] == full["backbone"] and e2e["backbone"]["with"]["path"] == str(bundled)
    assert e2e["backbone"]["with"]["rope_parts"] == 2 and e2e["backbone"]["with"]["hold_known"] is True
    outputs: dict[str, Any] = {}
    report = run_benchmark(variants[1:], seeds=[0], cases=1, world=WORLD, steps=2,
                           on_output=lambda name, seed, index, case, video: outputs.setdefault(name, video))
    assert set(report["variants"]) == {"pose_full", "e2e_full"} and "| e2e_full |" in markdown_table(report)
    assert 0.0 <= report["variants"]["e2e_full"]["iou"]["mean"] <= 1.0
    assert outputs["e2e_full"].frames.shape == outputs["pose_full"].frames.shape
    assert (outputs["e2e_full"].frames - outputs["pose_full"].frames).abs().mean() > 0.01  # raw frames, not a skeleton


def test_the_quadruped_world_scores_every_variant_on_animals() -> None:
    """The family the pose model never saw: the pose variant draws the animal's own skeleton
    (toy_quadruped), the end-to-end one reads the raw clip; both are scored against the animal."""
    bundled = bundled_model()
    variants = default_variants(None, None, pose_model=bundled, e2e_model=bundled, pose_backbone={"rope_parts": 2},
                                motion={"render": {"line_scale": 0.25, "hands": False, "face": False}})
    world = world_preset("simple_quadruped", "heldout", frames=3)
    seen: dict[str, Any] = {}
    report = run_benchmark(variants, seeds=[0], cases=1, world=world, steps=1,
                           on_output=lambda name, seed, index, case, video: seen.setdefault(name, (case, video)))
    assert report["world"]["families"] == ["quadruped"] and set(report["variants"]) == {"copy", "pose_full", "e2e_full"}
    case, video = seen["pose_full"]
    assert case.metadata["family"] == "quadruped" and video.frames.shape == case.target.video.frames.shape
    assert all(0.0 <= report["variants"][v]["iou"]["mean"] <= 1.0 for v in report["variants"])


def test_end_to_end_lora_is_scored_as_e2e_on_raw_driving_frames(tiny: tuple[Path, Path]) -> None:
    model, lora = tiny
    variants = default_variants(model, None, e2e_lora=lora)
    assert [v.name for v in variants] == ["copy", "no_lora", "e2e"]
    e2e = variants[2].parts
    assert (e2e["composer"]["use"], e2e["motion"]["use"]) == ("spatial", "raw_video")
    assert e2e["backbone"]["with"]["lora"] == str(lora)
    report = run_benchmark([variants[0], variants[2]], seeds=[0], cases=1, world=WORLD, steps=1)
    assert 0.0 <= report["variants"]["e2e"]["iou"]["mean"] <= 1.0
    assert "| e2e |" in markdown_table(report)


def test_pose_backbone_options_reach_the_pose_variants_only(tiny: tuple[Path, Path]) -> None:
    model, lora = tiny
    variants = {v.name: v for v in default_variants(model, lora, pose_model=model, pose_backbone={"rope_parts": 2})}
    assert variants["pose"].parts["backbone"]["with"]["rope_parts"] == 2
    assert variants["pose_full"].parts["backbone"]["with"]["rope_parts"] == 2
    assert "rope_parts" not in variants["no_lora"].parts["backbone"]["with"]


def test_cases_are_held_out_and_gaps_measured() -> None:
    world = ToyWorld(split="heldout", size=(32, 32), frames=3, families=("humanoid",))
    case = world.cross_identity_case(HELDOUT_START + 5)
    assert case.metadata["split"] == "heldout" and proportion_gap(case) > 0


def test_sheet_draws_each_variant_in_its_labelled_row() -> None:
    import torch

    from motionctx.types import Video
    from motionctx_toy.sheet import LABEL_WIDTH, benchmark_sheet

    world = ToyWorld(split="heldout", size=(32, 32), frames=3, families=("humanoid",))
    cases = [world.cross_identity_case(HELDOUT_START + i) for i in range(2)]
    dark, light = Video(torch.zeros(3, 3, 32, 32), 8.0), Video(torch.ones(3, 3, 32, 32), 8.0)
    sheet = benchmark_sheet(cases, {"dark": [dark, dark], "light": [light, light]}, frames=3).pixels
    row = 64 + 2  # 32 px at scale 2, 2 px gaps
    assert sheet.shape == (3, 2 * (5 * row - 2) + 8, LABEL_WIDTH + 3 * 64 + 2 * 2)
    second = 5 * row - 2 + 8  # the second case's block starts after an 8 px gap
    for top in (0, second):
        assert sheet[:, top + 3 * row: top + 3 * row + 64, LABEL_WIDTH:LABEL_WIDTH + 64].max() == 0  # row 4: "dark"
        assert sheet[:, top + 4 * row: top + 4 * row + 64, LABEL_WIDTH:LABEL_WIDTH + 64].min() == 1  # row 5: "light"
        target = sheet[:, top + 2 * row: top + 2 * row + 64, LABEL_WIDTH:LABEL_WIDTH + 64]
        assert target.std() > 0.05  # the truth is drawn, not a blank
    assert sheet[:, :, :LABEL_WIDTH].min() < 0.5  # labels are written
    with pytest.raises(ValueError, match="'dark' has 1 outputs for 2 cases"):
        benchmark_sheet(cases, {"dark": [dark]})


def test_cli_writes_report_and_result_line(tiny: tuple[Path, Path], tmp_path: Path) -> None:
    model, lora = tiny
    out = subprocess.run(
        [sys.executable, "-m", "motionctx.cli", "toy", "benchmark", "--model", str(model), "--lora", str(lora),
         "--pose-model", str(model), "--seed", "3", "--cases", "1", "--steps", "1", "--frames", "3",
         "--world", "hard", "--size", "32", "--out", str(tmp_path / "r.json")],
        capture_output=True, text=True, timeout=600,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1].startswith("RESULT variant=pose_full iou=")
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["seeds"] == [3] and report["world"]["name"] == "hard" and report["world"]["size"] == [32, 32]
    assert report["world"]["flat"] is False and set(report["variants"]) == {"copy", "pose_full", "no_lora", "pose"}
    assert (tmp_path / "r.md").read_text().startswith("| variant |")
    assert "![" in (tmp_path / "r.md").read_text() and "(r.png)" in (tmp_path / "r.md").read_text()
    from motionctx.io import read_image

    assert read_image(tmp_path / "r.png").size[0] == 7 * 64 + 6 * 2  # reference, driving, target + 4 variants
    missing = subprocess.run([sys.executable, "-m", "motionctx.cli", "toy", "benchmark", "--model", str(tmp_path / "nope")],
                             capture_output=True, text=True, timeout=300)
    assert missing.returncode == 2 and "model_index.json" in missing.stderr
    missing = subprocess.run([sys.executable, "-m", "motionctx.cli", "toy", "benchmark", "--model", str(model),
                              "--pose-model", str(tmp_path / "nope")], capture_output=True, text=True, timeout=300)
    assert missing.returncode == 2 and "--pose-model" in missing.stderr
    missing = subprocess.run([sys.executable, "-m", "motionctx.cli", "toy", "benchmark",
                              "--e2e-model", str(tmp_path / "nope")], capture_output=True, text=True, timeout=300)
    assert missing.returncode == 2 and "--e2e-model" in missing.stderr and "model_index.json" in missing.stderr
    missing = subprocess.run([sys.executable, "-m", "motionctx.cli", "toy", "benchmark", "--model", str(model),
                              "--e2e-lora", str(tmp_path / "nope.safetensors")], capture_output=True, text=True, timeout=300)
    assert missing.returncode == 2 and "--e2e-lora" in missing.stderr
    alone = subprocess.run([sys.executable, "-m", "motionctx.cli", "toy", "benchmark", "--lora", str(lora)],
                           capture_output=True, text=True, timeout=300)
    assert alone.returncode == 2 and "--model" in alone.stderr
    world = subprocess.run([sys.executable, "-m", "motionctx.cli", "toy", "benchmark", "--world", "simpel"],
                           capture_output=True, text=True, timeout=300)
    assert world.returncode == 2 and "did you mean 'simple'" in world.stderr


def test_world_option_help_names_every_world() -> None:
    """The --world help of the benchmark and manifest commands is written by hand: it must name
    every world of WORLDS (a new world added there is missing here until the help says it)."""
    import os

    from motionctx_toy.world import WORLDS

    for command in ("benchmark", "manifest"):
        out = subprocess.run([sys.executable, "-m", "motionctx.cli", "toy", command, "--help"], capture_output=True,
                             text=True, timeout=300, env={**os.environ, "COLUMNS": "400"}, check=False)
        assert out.returncode == 0, out.stderr
        line = next(x for x in out.stdout.splitlines() if "--world" in x)
        assert all(name in line for name in WORLDS), (command, line)
