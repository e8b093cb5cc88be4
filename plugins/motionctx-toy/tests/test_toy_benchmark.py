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


def test_cases_are_held_out_and_gaps_measured() -> None:
    world = ToyWorld(split="heldout", size=(32, 32), frames=3, families=("humanoid",))
    case = world.cross_identity_case(HELDOUT_START + 5)
    assert case.metadata["split"] == "heldout" and proportion_gap(case) > 0


def test_cli_writes_report_and_result_line(tiny: tuple[Path, Path], tmp_path: Path) -> None:
    model, lora = tiny
    out = subprocess.run(
        [sys.executable, "-m", "motionctx.cli", "toy", "benchmark", "--model", str(model), "--lora", str(lora),
         "--seed", "3", "--cases", "1", "--steps", "1", "--size", "32", "--frames", "3", "--out", str(tmp_path / "r.json")],
        capture_output=True, text=True, timeout=600,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1].startswith("RESULT iou=")
    assert json.loads((tmp_path / "r.json").read_text())["seeds"] == [3]
    assert (tmp_path / "r.md").read_text().startswith("| variant |")
    missing = subprocess.run([sys.executable, "-m", "motionctx.cli", "toy", "benchmark", "--model", str(tmp_path / "nope")],
                             capture_output=True, text=True, timeout=300)
    assert missing.returncode == 2 and "model_index.json" in missing.stderr
