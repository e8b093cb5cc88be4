"""The toy benchmark end to end on an untrained tiny model (structure, not quality)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from motionctx import build_part
from motionctx_toy.benchmark import default_variants, markdown_table, proportion_gap, result_line, run_benchmark
from motionctx_toy.model import build_toy_model
from motionctx_toy.seeds import HELDOUT_START
from motionctx_toy.world import ToyWorld


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
    report = run_benchmark(default_variants(model, lora), seeds=[0, 1], cases=2, size=(32, 32), frames=3, steps=1)
    assert set(report["variants"]) == {"copy", "no_lora", "pose"}
    for v in report["variants"].values():
        assert set(v["per_seed"]) == {"0", "1"}
        assert 0.0 <= v["iou"]["mean"] <= 1.0 and v["iou"]["std"] >= 0.0 and v["psnr"]["mean"] > 0
    assert report["variants"]["copy"]["iou"]["mean"] < 1.0  # the cases move: copying is not the answer
    assert "| pose |" in markdown_table(report)
    assert result_line(report).startswith("RESULT iou=") and "iou_copy=" in result_line(report)


def test_pose_model_without_lora_is_scored_as_pose_full(tiny: tuple[Path, Path]) -> None:
    model, _ = tiny
    variants = default_variants(model, None, pose_model=model)
    assert [v.name for v in variants] == ["copy", "no_lora", "pose_full"]
    report = run_benchmark([variants[0], variants[2]], seeds=[0], cases=1, size=(32, 32), frames=3, steps=1)
    assert 0.0 <= report["variants"]["pose_full"]["iou"]["mean"] <= 1.0
    assert result_line(report).startswith(f"RESULT iou={report['variants']['pose_full']['iou']['mean']:.4f}")


def test_end_to_end_lora_is_scored_as_e2e_on_raw_driving_frames(tiny: tuple[Path, Path]) -> None:
    model, lora = tiny
    variants = default_variants(model, None, e2e_lora=lora)
    assert [v.name for v in variants] == ["copy", "no_lora", "e2e"]
    e2e = variants[2].parts
    assert (e2e["composer"]["use"], e2e["motion"]["use"]) == ("spatial", "raw_video")
    assert e2e["backbone"]["with"]["lora"] == str(lora)
    report = run_benchmark([variants[0], variants[2]], seeds=[0], cases=1, size=(32, 32), frames=3, steps=1)
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
         "--seed", "3", "--cases", "1", "--steps", "1", "--size", "32", "--frames", "3", "--rope-parts", "2",
         "--scale", "1.2", "--span", "0.5", "--background", "plain", "--out", str(tmp_path / "r.json")],
        capture_output=True, text=True, timeout=600,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1].startswith("RESULT iou=")
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["seeds"] == [3] and (report["scale"], report["span"], report["background_kind"]) == (1.2, 0.5, "plain")
    assert (tmp_path / "r.md").read_text().startswith("| variant |")
    assert "![" in (tmp_path / "r.md").read_text() and "(r.png)" in (tmp_path / "r.md").read_text()
    from motionctx.io import read_image

    assert read_image(tmp_path / "r.png").size[0] == 6 * 64 + 5 * 2  # reference, driving, target + 3 variants
    missing = subprocess.run([sys.executable, "-m", "motionctx.cli", "toy", "benchmark", "--model", str(tmp_path / "nope")],
                             capture_output=True, text=True, timeout=300)
    assert missing.returncode == 2 and "model_index.json" in missing.stderr
    missing = subprocess.run([sys.executable, "-m", "motionctx.cli", "toy", "benchmark", "--model", str(model),
                              "--pose-model", str(tmp_path / "nope")], capture_output=True, text=True, timeout=300)
    assert missing.returncode == 2 and "--pose-model" in missing.stderr
    missing = subprocess.run([sys.executable, "-m", "motionctx.cli", "toy", "benchmark", "--model", str(model),
                              "--e2e-lora", str(tmp_path / "nope.safetensors")], capture_output=True, text=True, timeout=300)
    assert missing.returncode == 2 and "--e2e-lora" in missing.stderr


def test_motion_sensitivity_sees_the_motion_signal(tiny: tuple[Path, Path]) -> None:
    """Same draws give the same loss; a different or empty skeleton changes it (an untrained model
    still reads its condition channels), and fewer than two cases are refused."""
    import torch

    from motionctx.errors import InputError
    from motionctx_toy.sensitivity import motion_sensitivity

    model, _ = tiny
    bb = build_part("backbone", "wan_i2v", {"path": str(model), "dtype": "float32", "max_sequence_length": 16})
    composer = build_part("composer", "spatial", {})
    world = ToyWorld(split="heldout", size=(32, 32), frames=3)
    cases = [world.cross_identity_case(HELDOUT_START + i, family="humanoid") for i in range(2)]

    def skeleton(case):
        truth = {"use": "toy_truth", "with": {"clip": case.target.metadata["spec"]}}
        return build_part("motion_source", "pose", {"estimator": truth}).prepare(
            case.target.video, case.reference, rng=torch.Generator().manual_seed(0))

    a = motion_sensitivity(bb, composer, skeleton, cases, draws=1)
    b = motion_sensitivity(bb, composer, skeleton, cases, draws=1)
    assert a == b
    assert a["own"] > 0 and a["other"] != a["own"] and a["blank"] != a["own"]
    assert a["gap_blank"] == pytest.approx((a["blank"] - a["own"]) / a["own"])
    with pytest.raises(InputError, match="at least 2 cases"):
        motion_sensitivity(bb, composer, skeleton, cases[:1])


def test_motion_sensitivity_script_ends_with_result(tiny: tuple[Path, Path]) -> None:
    model, lora = tiny
    script = Path(__file__).resolve().parents[1] / "benchmarks" / "motion_sensitivity.py"
    out = subprocess.run([sys.executable, str(script), "--model", str(model), "--lora", str(lora), "--cases", "2",
                          "--draws", "1", "--size", "32", "--composer", "temporal", "--high-noise", "--line-scale", "0.5"], capture_output=True, text=True, check=True).stdout
    assert "| own |" in out and out.strip().splitlines()[-1].startswith("RESULT loss_own=")


def test_motion_sensitivity_script_scores_a_full_training_checkpoint(tiny: tuple[Path, Path], tmp_path: Path) -> None:
    """--checkpoint puts a full fine-tune checkpoint's weights into the model (the loss changes with
    them); a LoRA checkpoint is refused with exit code 2."""
    import torch
    from safetensors.torch import save_file

    model, _ = tiny
    script = Path(__file__).resolve().parents[1] / "benchmarks" / "motion_sensitivity.py"
    bb = build_part("backbone", "wan_i2v", {"path": str(model), "dtype": "float32", "max_sequence_length": 16})
    bb.ensure_loaded()
    torch.manual_seed(0)
    moved = {f"0.{k}": p.detach() + 0.05 * torch.randn_like(p) for k, p in bb.experts()[0].named_parameters()}
    (tmp_path / "full").mkdir()
    save_file(moved, str(tmp_path / "full" / "trainable.safetensors"))
    (tmp_path / "lora").mkdir()
    save_file({"0.blocks.0.ffn.net.0.proj.lora_A.default.weight": torch.zeros(2, 2)},
              str(tmp_path / "lora" / "trainable.safetensors"))
    base = [sys.executable, str(script), "--model", str(model), "--cases", "2", "--draws", "1", "--size", "32"]

    def loss(*extra: str) -> float:
        out = subprocess.run([*base, *extra], capture_output=True, text=True, check=True).stdout
        return float(out.strip().splitlines()[-1].split()[1].split("=")[1])

    assert loss("--checkpoint", str(tmp_path / "full")) != loss()
    refused = subprocess.run([*base, "--checkpoint", str(tmp_path / "lora")], capture_output=True, text=True)
    assert refused.returncode == 2 and "LoRA checkpoint" in refused.stderr


@pytest.mark.parametrize("signal", ["mask", "frames"])
def test_motion_sensitivity_script_checks_other_signals(tiny: tuple[Path, Path], signal: str) -> None:
    """The control signals (the target's mask, its own frames) change the loss like a skeleton does."""
    model, lora = tiny
    script = Path(__file__).resolve().parents[1] / "benchmarks" / "motion_sensitivity.py"
    out = subprocess.run([sys.executable, str(script), "--model", str(model), "--lora", str(lora), "--cases", "2",
                          "--draws", "1", "--size", "32", "--signal", signal], capture_output=True, text=True, check=True).stdout
    assert f"| {signal} | training loss |" in out
    last = dict(kv.split("=") for kv in out.strip().splitlines()[-1].split()[1:])
    assert float(last["gap_blank"]) != 0.0
