"""The evaluate stage on a synthetic benchmark with baseline variants: reports, resume, bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

import pytest

from motionctx.errors import InputError, RecipeError
from motionctx.recipe import load_recipe

from ..conftest import run_cli

SCORERS = ("truth.psnr", "truth.ssim", "truth.silhouette_iou", "flicker.flicker", "smooth.interpolation_error",
           "colour.colour_distance")


def run(recipe: Path, out: Path, *sets: str):
    return load_recipe(recipe, list(sets)).run(output_dir=out, progress=False)


def test_reports_every_scorer_per_category(baseline_recipe, tmp_path):
    [result] = run(baseline_recipe, tmp_path / "out")
    folder = tmp_path / "out" / "eval"
    assert result.metrics == {"pairs": 9, "pairs_run": 9, "pairs_with_errors": 0, "pairs_recorded": 9}
    report = json.loads((folder / "report.json").read_text())
    assert set(report["categories"]) == {"all", "slow", "fast", "squares"}
    assert list(report["metrics"]) == list(SCORERS)
    for cat, table in report["categories"].items():
        for variant in ("copy", "answer", "driving"):
            assert all(table[variant][m]["n"] > 0 for m in SCORERS), (cat, variant)
    overall = report["categories"]["all"]
    assert overall["answer"]["truth.psnr"]["mean"] > 40 > overall["copy"]["truth.psnr"]["mean"]
    assert overall["answer"]["truth.silhouette_iou"]["mean"] > 0.95 > overall["copy"]["truth.silhouette_iou"]["mean"]
    # the driving clip moves like the answer but has other colours
    assert overall["driving"]["colour.colour_distance"]["mean"] > 3 * overall["answer"]["colour.colour_distance"]["mean"]
    md = (folder / "report.md").read_text()
    assert "## slow" in md and "| answer | 3 |" in md and "truth.silhouette_iou ↑" in md and "No pair failed." in md
    html = (folder / "report.html").read_text()
    assert html.count("<svg") == len(SCORERS) and html.count('class="case"') == 3
    assert html.count("data:image/gif;base64,") == 3 * (2 + 3)  # driving, target and 3 outputs per case
    for p in (folder / "pairs").glob("*/*"):
        assert {f.name for f in p.iterdir()} == {"output.mp4", "result.json"}


def test_finished_pairs_are_not_redone(baseline_recipe, tmp_path):
    out = tmp_path / "out"
    run(baseline_recipe, out)
    results = sorted((out / "eval" / "pairs").glob("*/*/result.json"))
    stamps = {p: p.stat().st_mtime_ns for p in results}
    results[0].unlink()  # as if the run had been killed before this pair finished
    [again] = run(baseline_recipe, out)
    assert again.metrics["pairs_run"] == 1 and again.metrics["pairs_recorded"] == 9
    assert all(p.stat().st_mtime_ns == stamps[p] for p in results[1:])


def test_pairs_run_again_when_what_they_are_made_from_changed(baseline_recipe, benchmark, tmp_path):
    """Same bytes under a new modification time: kept. Another reference image: that case's pairs
    run again (and score differently). Another working size: every pair."""
    import os

    from motionctx.io import write_image
    from motionctx.types import Image

    from .conftest import square_clip

    out = tmp_path / "out"
    run(baseline_recipe, out)
    ref = benchmark.parent / "ref0.png"
    os.utime(ref, ns=(1, 1))
    assert run(baseline_recipe, out)[0].metrics["pairs_run"] == 0
    result = out / "eval" / "pairs" / "copy" / "sq-0" / "result.json"
    before = json.loads(result.read_text())
    write_image(ref, Image(square_clip((0.1, 0.9, 0.1), (0.5, 0.5, 0.5), [12])[0]))
    [again] = run(baseline_recipe, out)
    assert again.metrics["pairs_run"] == 3 and again.metrics["pairs_recorded"] == 9
    after = json.loads(result.read_text())
    assert after["inputs"] != before["inputs"] and after["scores"] != before["scores"]
    [resized] = run(baseline_recipe, out, "stages.0.with.size=[16,16]")
    assert resized.metrics["pairs_run"] == 9


def test_two_processes_split_the_pairs(baseline_recipe, benchmark, tmp_path):
    """A real two-process launch (gloo on the CPU, as accelerate/torchrun set it up)."""
    import os
    import socket
    import subprocess
    import sys

    from ..conftest import REPO

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = tmp_path / "out"
    procs = []
    for rank in (0, 1):
        env = {**os.environ, "RANK": str(rank), "LOCAL_RANK": str(rank), "WORLD_SIZE": "2",
               "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), "OMP_NUM_THREADS": "1"}
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "motionctx.cli", "evaluate", str(benchmark), "--recipe", str(baseline_recipe),
             "-o", str(out), "--no-progress"], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True))
    logs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], logs
    assert "9 pairs" not in logs[0][1] and "5 pairs on rank 0/2" in logs[0][1] and "4 pairs on rank 1/2" in logs[1][1]
    report = json.loads((out / "eval" / "report.json").read_text())
    assert len(report["records"]) == 9 and report["pairs"] == {"copy": 3, "answer": 3, "driving": 3}


def test_a_failing_scorer_is_that_pairs_failure(baseline_recipe, tmp_path):
    from motionctx.hookspecs import hookimpl
    from motionctx.parts import Scorer
    from motionctx.testing import register_plugin

    class Picky(Scorer):
        """Refuses the fast cases."""

        name: ClassVar[str] = "picky"
        metrics: ClassVar[dict[str, str]] = {"ok": "higher"}

        def score(self, output, case):
            if "fast" in case.spec.categories:
                raise InputError(f"picky: cannot score {case.id}")
            return {"ok": 1.0}

    class Plugin:
        @hookimpl
        def register_scorers(self, register):
            register(Picky)

    with register_plugin(Plugin()):
        [result] = run(baseline_recipe, tmp_path / "out", "parts.picky={kind: scorer, use: picky}")
    assert result.metrics["pairs_with_errors"] == 6 and result.metrics["pairs_recorded"] == 9
    report = json.loads((tmp_path / "out" / "eval" / "report.json").read_text())
    assert report["failures"] == {"copy": 2, "answer": 2, "driving": 2}
    failed = [r for r in report["records"] if r["errors"]]
    assert all("truth.psnr" in r["scores"] and "picky" in r["errors"] for r in failed)
    assert "picky: cannot score sq-1" in (tmp_path / "out" / "eval" / "report.md").read_text()


def test_bad_manifest_fails_before_any_work(baseline_recipe, benchmark, tmp_path):
    lines = benchmark.read_text().splitlines()
    benchmark.write_text(lines[0] + "\n" + lines[1].replace("drive1.mp4", "nowhere.mp4") + "\n")
    with pytest.raises(InputError, match=r"case 2 \(sq-1\): driving .*nowhere.mp4' does not exist"):
        run(baseline_recipe, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    benchmark.write_text(lines[0] + "\n" + lines[0] + "\n")
    with pytest.raises(InputError, match="id 'sq-0' is also case 1"):
        run(baseline_recipe, tmp_path / "out")


def test_bad_variants_are_recipe_errors(baseline_recipe, tmp_path):
    with pytest.raises(RecipeError, match="baseline 'reference' takes no parts"):
        run(baseline_recipe, tmp_path / "o", "stages.0.with.variants=[{name: a, baseline: reference, parts: {composer: {use: spatial}}}]")
    with pytest.raises(RecipeError, match="needs a part in slot 'backbone'"):
        run(baseline_recipe, tmp_path / "o", "stages.0.with.variants=[{name: m}]")
    parts = "{backbone: {use: nope}, motion: {use: raw_video}, composer: {use: spatial}}"
    with pytest.raises(RecipeError, match=r"variants.0.parts.backbone.use: no backbone named 'nope'"):
        run(baseline_recipe, tmp_path / "o", f"stages.0.with.variants=[{{name: m, parts: {parts}}}]")
    assert not (tmp_path / "o").exists()
    with pytest.raises(RecipeError, match="unknown parameter"):
        load_recipe(baseline_recipe, ["stages.0.with.variants=[{name: a, baseline: reference, colour: red}]"])


def test_a_missing_model_folder_stops_the_run_before_any_pair(baseline_recipe, tmp_path):
    """A model variant whose backbone folder is not there is one WeightsError naming the variant,
    the slot and the path, raised before any pair runs (not a failure recorded for every pair)."""
    from motionctx.errors import WeightsError

    gone = tmp_path / "no_such_model"
    parts = f"{{backbone: {{use: wan_i2v, with: {{path: {gone}}}}}, motion: {{use: raw_video}}, composer: {{use: spatial}}}}"
    with pytest.raises(WeightsError, match=rf"no_such_model \(variant 'm', backbone: "):
        run(baseline_recipe, tmp_path / "o", f"stages.0.with.variants=[{{name: copy, baseline: reference}}, {{name: m, parts: {parts}}}]")
    assert not (tmp_path / "o").exists()


def test_cli_shortcut_and_its_errors(baseline_recipe, benchmark, tmp_path):
    out = tmp_path / "cli"
    done = run_cli("evaluate", str(benchmark), "--recipe", str(baseline_recipe), "-o", str(out), "--no-progress")
    assert done.returncode == 0, done.stderr
    assert "report_html ->" in done.stdout and (out / "eval" / "report.md").is_file()
    missing = run_cli("evaluate", str(tmp_path / "none.jsonl"), "--recipe", str(baseline_recipe))
    assert missing.returncode == 2
    assert missing.stderr.count("error:") == 1 and "none.jsonl' does not exist" in missing.stderr
