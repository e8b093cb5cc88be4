"""``motionctx toy manifest`` and ``motionctx evaluate`` on the bundled model, end to end."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from motionctx.errors import InputError
from motionctx.recipe import load_recipe
from motionctx_toy.manifest import write_toy_manifest

REPO = Path(__file__).resolve().parents[3]
EVAL = REPO / "recipes" / "eval.yaml"
METRICS = ("truth.psnr", "truth.ssim", "truth.silhouette_iou", "flicker.flicker", "smooth.interpolation_error",
           "colour.colour_distance", "motion_agreement.pose_error", "motion_agreement.motion_correlation",
           "motion_agreement.pose_seen")


@pytest.fixture(scope="module")
def manifest(tmp_path_factory) -> Path:
    """Six held-out cases: two of each family, every third with two characters."""
    # drawn at thickness 1: on the simple world's chunkier bodies (1.6) the colour-part estimator
    # misreads two of these six cases (the right answer's motion correlation -0.05 and -0.23, mean 0.43)
    return write_toy_manifest(tmp_path_factory.mktemp("toy") / "bench", 6, several_every=3, thickness=1.0)


def evaluate(manifest: Path, out: Path, *sets: str):
    recipe = load_recipe(EVAL, [f"inputs.manifest={manifest}", *sets])
    return recipe.run(output_dir=out, progress=False)


def test_manifest_has_categories_targets_and_backgrounds(manifest):
    rows = [json.loads(x) for x in manifest.read_text().splitlines()]
    assert [r["categories"] for r in rows] == [
        ["humanoid", "one character"], ["quadruped", "one character"], ["bird", "several characters"],
        ["humanoid", "one character"], ["quadruped", "one character"], ["bird", "several characters"]]
    for r in rows:
        for key in ("reference", "driving", "target", "background"):
            assert (manifest.parent / r[key]).is_file()
        assert (manifest.parent / r["files"]["driving_poses"]).is_file()
    # the videos hold the exact frames (lossless), so outputs are scored against the true answer
    from motionctx.io import read_video
    from motionctx_toy.assets import read_sidecar
    from motionctx_toy.clip import render_spec
    from motionctx_toy.spec import ClipSpec

    for role in ("driving", "target"):
        video = manifest.parent / rows[0][role]
        exact = render_spec(ClipSpec(**read_sidecar(video)["spec"])).video.frames
        assert (read_video(video).frames - exact).abs().max() <= 1 / 255 + 1e-6, role
    other = manifest.parent.parent / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    with pytest.raises(InputError, match="not an earlier output"):
        write_toy_manifest(other, 1)
    assert (other / "notes.txt").read_text() == "keep me"


def test_motion_agreement_separates_moving_from_copying(manifest, tmp_path):
    """The target (the toy's right answer: a model that animates perfectly) and a blurred copy of
    it (a model that animates, badly drawn) agree with the driving motion; copying the reference
    does not, in every case."""
    import torch.nn.functional as F

    from motionctx.engines.evaluation.case import load_case, read_manifest
    from motionctx.plugins import build_part
    from motionctx.types import Geometry, Video

    settings = load_recipe(EVAL).stages[0].params | {"manifest": str(manifest)}
    from motionctx.builtins.evaluate_stage import EvaluateStage

    config = EvaluateStage.Config(**settings)
    rows = []
    for spec in read_manifest(manifest):
        case = load_case(spec, Geometry(), config)
        scorer = build_part("scorer", "motion_agreement", {
            "estimator": {"use": "toy_colours", "with": {"sidecar": str(spec.reference)}},
            "driving_estimator": {"use": "toy_colours", "with": {"sidecar": str(spec.driving)}}})
        copy = Video(case.reference.pixels[None].expand(case.driving.num_frames, -1, -1, -1).contiguous())
        blurred = Video(F.interpolate(F.avg_pool2d(case.target.frames, 2), scale_factor=2, mode="bilinear").clamp(0, 1))
        rows.append([scorer.score(v, case) for v in (copy, case.target, blurred)])
    corr = [[r[i]["motion_correlation"] for r in rows] for i in range(3)]
    error = [sum(r[i]["pose_error"] for r in rows) / len(rows) for i in range(3)]
    assert corr[0] == [0.0] * len(rows)
    assert min(corr[1]) > 0.05 and min(corr[2]) > 0.05, corr  # single cases are noisy (two small birds: 0.08)
    assert sum(corr[1]) / len(rows) > 0.45 and sum(corr[2]) / len(rows) > 0.4, corr
    assert error[1] < error[0], error  # pose_error also measures body shape: a weak separator here


def test_evaluate_bundled_model_against_copying(manifest, tmp_path):
    out = tmp_path / "out"
    [result] = evaluate(manifest, out, "stages.0.with.steps=2",
                        "stages.0.with.variants=[{name: copy, baseline: reference}, {name: bundled}]")
    assert result.metrics["pairs_recorded"] == 12 and result.metrics["pairs_with_errors"] == 0
    report = json.loads((out / "eval" / "report.json").read_text())
    assert set(report["categories"]) == {"all", "humanoid", "quadruped", "bird", "one character", "several characters"}
    for cat, table in report["categories"].items():
        for variant in ("copy", "bundled"):
            assert all(table[variant][m]["n"] > 0 for m in METRICS), (cat, variant)
    assert report["categories"]["all"]["copy"]["motion_agreement.motion_correlation"]["mean"] == 0.0
    md = (out / "eval" / "report.md").read_text()
    assert "## several characters" in md and "| bundled | 6 |" in md
    html = (out / "eval" / "report.html").read_text()
    assert html.count("<svg") == len(METRICS) and html.count('class="case"') == 6


def _results(out: Path) -> list[Path]:
    return sorted((out / "eval" / "pairs").glob("*/*/result.json"))


@pytest.mark.slow
def test_rerun_after_a_kill_resumes(manifest, tmp_path):
    """A real `motionctx evaluate` process is killed mid-run; the rerun does only what is left."""
    out = tmp_path / "out"
    args = [sys.executable, "-m", "motionctx.cli", "evaluate", str(manifest), "-o", str(out), "--no-progress",
            "--set", "stages.0.with.steps=3", "--set", "stages.0.with.variants=[{name: bundled}]"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(args, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while len(_results(out)) < 1 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = {p: p.stat().st_mtime_ns for p in _results(out)}
    assert 1 <= len(before) < 6, "the run finished before it could be killed: give it more cases"
    assert not (out / "eval" / "report.json").exists()
    again = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, timeout=180, check=False)
    assert again.returncode == 0, again.stderr
    assert f"{len(before)} already done" in again.stderr
    assert len(_results(out)) == 6 and all(p.stat().st_mtime_ns == t for p, t in before.items())
    assert len(json.loads((out / "eval" / "report.json").read_text())["records"]) == 6
