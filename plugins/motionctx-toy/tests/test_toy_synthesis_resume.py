"""The synthesize stage at scale (issue 24), run as real ``motionctx recipe run`` processes with the
bundled toy model as the teacher: killed with SIGKILL three times and resumed, it ends with every
unit exactly once, equal to an uninterrupted run's; two ranks cover every unit once between them; a
unit whose driving clip cannot be decoded is recorded with its reason and the run goes on; the
rate shows in units per hour."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from motionctx.io import read_jsonl, read_video, write_image

pytestmark = pytest.mark.slow

RECIPE = """\
motionctx: 1
name: synth
requires: [motionctx-wan>=0.1, motionctx-toy>=0.1]
output: {out}
parts:
  teacher: {{kind: backbone, use: wan_i2v, with: {{path: "{model}", dtype: float32, max_sequence_length: 128, rope_parts: 2,
                                  hold_known: true}}}}
  teacher_motion: {{kind: motion_source, use: raw_video}}
  composer: {{use: spatial}}
  quality: {{kind: quality_filter, use: basic_quality}}
stages:
  - run: synthesize
    with: {{manifest: "{manifest}", references: "{refs}", text: null, steps: 2, guidance: 1.0, max_frames: 5,
            seed: 7}}
  - run: filter
    with: {{filter: quality, threshold: 0}}
"""
#: driving clips (one reference each: one unit per clip); the one at BROKEN is not a video
CLIPS, BROKEN = 5, 2
#: mean absolute difference (0-1) allowed between a unit's decoded frames and the uninterrupted
#: run's: threaded x264 is not bit-reproducible (two uninterrupted runs differ by up to 0.007 here),
#: while two different units differ by more than 0.1
TOLERANCE = 0.02
#: variables of the launchers a run must not inherit from the test's own environment
LAUNCHER_VARS = ("RANK", "LOCAL_RANK", "WORLD_SIZE", "PMI_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_RANK",
                 "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_RANK", "MV2_COMM_WORLD_SIZE")


@pytest.fixture(scope="module")
def recipe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Synthesize over CLIPS driving clips of 9 frames, the one at BROKEN garbage, then filter
    (keeping every unit)."""
    from motionctx_toy.bundled import bundled_model
    from motionctx_toy.dataset import write_toy_dataset
    from motionctx_toy.world import world_preset

    root = tmp_path_factory.mktemp("synth")
    world = world_preset("simple", frames=9)
    manifest = write_toy_dataset(root / "clips", CLIPS - 1, world=world)
    (root / "clips" / "broken.mp4").write_bytes(b"not a video\n" * 64)
    lines = manifest.read_text().splitlines()
    lines.insert(BROKEN, json.dumps({"id": "broken", "path": "broken.mp4"}))
    manifest.write_text("\n".join(lines) + "\n")
    refs = root / "refs"
    refs.mkdir()
    write_image(refs / "id0.png", world.clip(100).video.frame(0))
    path = root / "r.yaml"
    path.write_text(RECIPE.format(out=root / "unused", model=bundled_model(), manifest=manifest, refs=refs))
    return path


@pytest.fixture(scope="module")
def uninterrupted(recipe: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The output folder of one plain run to the end, progress display on."""
    out = tmp_path_factory.mktemp("uninterrupted") / "out"
    finish(start(recipe, out, progress=True))
    return out


def start(recipe: Path, out: Path, env: dict[str, str] | None = None, progress: bool = False) -> subprocess.Popen:
    """``motionctx recipe run RECIPE -o OUT`` as a child process; its stderr goes to ``OUT.log``."""
    base = {k: v for k, v in os.environ.items() if k not in LAUNCHER_VARS}
    cmd = [sys.executable, "-m", "motionctx.cli", "recipe", "run", str(recipe), "-o", str(out)]
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path(out), "a") as log:
        return subprocess.Popen(cmd + ([] if progress else ["--no-progress"]), stdout=subprocess.DEVNULL,
                                stderr=log, env={**base, "OMP_NUM_THREADS": "1", "COLUMNS": "200", **(env or {})})


def log_path(out: Path) -> Path:
    """Where the runs into ``out`` log (every run appends)."""
    return out.with_name(out.name + ".log")


def finish(proc: subprocess.Popen) -> None:
    """Wait for a run that must succeed."""
    proc.wait(timeout=300)
    assert proc.returncode == 0, log_path(Path(proc.args[proc.args.index("-o") + 1])).read_text()


def kill_when(proc: subprocess.Popen, ready: Callable[[], bool]) -> None:
    """SIGKILL ``proc`` as soon as ``ready()`` holds (polled, so the point depends on the files, not
    on timing); the run must still be going then."""
    deadline = time.monotonic() + 300
    while not ready():
        assert proc.poll() is None, "the run ended before the point it was to be killed at"
        assert time.monotonic() < deadline, "timed out waiting for the kill point"
        time.sleep(0.002)
    proc.kill()
    assert proc.wait(timeout=60) == -signal.SIGKILL, "the run had finished before it was killed"


def lines(out: Path, *patterns: str) -> int:
    """Lines written so far into the synth files matching ``patterns``."""
    return sum(f.read_bytes().count(b"\n") for p in patterns for f in (out / "synth").glob(p))


def finished(out: Path) -> int:
    """Units recorded so far, synthesised or failed, by every rank."""
    return lines(out, "manifest*.jsonl", "failed*.jsonl")


def mid_unit(out: Path) -> bool:
    """A unit is half written: a temporary file of an atomic write, or a source window without its record."""
    names = [p.name for p in (out / "synth").glob("*")]
    windows = sum(n.endswith(".source.mp4") and not n.startswith(".") for n in names)
    return any(".tmp-" in n for n in names) or windows > lines(out, "manifest*.jsonl")


def records(out: Path, pattern: str) -> dict[str, dict[str, Any]]:
    """The records of the synth files matching ``pattern`` by unit id, asserting every id is there
    once and every line whole; output paths relative to ``out``."""
    found: dict[str, dict[str, Any]] = {}
    for f in sorted((out / "synth").glob(pattern)):
        assert f.read_text().endswith("\n"), f"{f.name} ends in a partial line"
        for r in read_jsonl(f):
            assert r["id"] not in found, f"unit {r['id']} recorded twice"
            found[r["id"]] = {k: str(Path(v).relative_to(out)) if k in ("video", "source") else v for k, v in r.items()}
    return found


def assert_same_as(out: Path, reference: Path, manifests: str, failures: str) -> None:
    """``out`` holds every unit once, as ``reference`` (a single-process run) does, and nothing else."""
    made, failed = records(out, manifests), records(out, failures)
    assert made == records(reference, "manifest.jsonl") and failed == records(reference, "failed.jsonl")
    assert len(made) + len(failed) == CLIPS and not made.keys() & failed.keys()
    outputs = {f"{i}{suffix}" for i in made for suffix in (".mp4", ".source.mp4")}
    files = {p.name for p in (out / "synth").iterdir()}
    # nothing else: no temporaries, no outputs of failed units
    assert outputs <= files and files - outputs == {f.name for p in (manifests, failures) for f in (out / "synth").glob(p)}
    for name in sorted(outputs):
        ours, theirs = read_video(out / "synth" / name).frames, read_video(reference / "synth" / name).frames
        assert ours.shape == theirs.shape and (ours - theirs).abs().mean() < TOLERANCE, name
    assert json.loads((out / "run.json").read_text())["status"] == "complete"


def test_a_failing_unit_is_recorded_and_the_rate_shown(uninterrupted: Path) -> None:
    """The broken clip's unit is recorded with its reason and leaves no outputs; the others are
    synthesised; the progress, the log and run.json show units per hour."""
    [failure] = records(uninterrupted, "failed.jsonl").values()
    assert failure["driving"].endswith("broken.mp4") and "broken.mp4" in failure["error"]
    assert not list((uninterrupted / "synth").glob(f"{failure['id']}*"))
    assert len(records(uninterrupted, "manifest.jsonl")) == CLIPS - 1
    metrics = json.loads((uninterrupted / "run.json").read_text())["stages"][0]["metrics"]
    assert {k: metrics[k] for k in ("units", "synthesized", "failed")} == {"units": CLIPS, "synthesized": CLIPS - 1,
                                                                          "failed": 1}
    assert metrics["units_per_hour"] > 0
    log = log_path(uninterrupted).read_text()
    assert f"unit {failure['id']} failed" in log and f"{CLIPS - 1} synthesized, 1 failed" in log
    assert "synthesizing (" in log and "units/hour" in log  # the progress line's rate


def test_killed_three_times_then_resumed_equals_an_uninterrupted_run(
    recipe: Path, uninterrupted: Path, tmp_path: Path
) -> None:
    """SIGKILL after the first unit, inside a unit's writes, and after the failing unit; then resume."""
    out = tmp_path / "out"
    for ready in (lambda: finished(out) >= 1, lambda: mid_unit(out) or finished(out) >= 2,
                  lambda: finished(out) >= BROKEN + 1):
        kill_when(start(recipe, out), ready)
    assert json.loads((out / "run.json").read_text())["status"] == "running"
    finish(start(recipe, out))
    assert_same_as(out, uninterrupted, "manifest.jsonl", "failed.jsonl")


def test_two_ranks_cover_every_unit_once(recipe: Path, uninterrupted: Path, tmp_path: Path) -> None:
    """Two processes of one launch write disjoint per-rank files that together equal the
    single-process run. Rank 0 is told its rank the torchrun/accelerate way, rank 1 the MPI way
    (accelerate's multi-CPU launcher), so one launch covers both."""
    out = tmp_path / "out"
    with socket.socket() as sock:  # a free port for the process group
        sock.bind(("127.0.0.1", 0))
        group = {"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(sock.getsockname()[1])}
    launchers = [{"RANK": "0", "LOCAL_RANK": "0", "WORLD_SIZE": "2", **group}, {"PMI_RANK": "1", "PMI_SIZE": "2", **group}]
    for proc in [start(recipe, out, env) for env in launchers]:
        finish(proc)
    shards = [set(records(out, f"manifest.rank{r}.jsonl")) | set(records(out, f"failed.rank{r}.jsonl")) for r in (0, 1)]
    sizes = [(CLIPS + 1) // 2, CLIPS // 2]  # round robin
    assert [len(s) for s in shards] == sizes and not shards[0] & shards[1]
    assert_same_as(out, uninterrupted, "manifest.rank*.jsonl", "failed.rank*.jsonl")
    log = log_path(out).read_text()
    plans = re.findall(r"synthesize: (\d+) units on rank (\d)/2", log)  # not the rate's "25265 units/hour"
    assert sorted(plans, key=lambda p: p[1]) == [(str(n), str(r)) for r, n in enumerate(sizes)]
    # the filter ran once, after both ranks had finished: every synthesised unit scored once and kept
    scored = [r["id"] for r in read_jsonl(out / "scores.jsonl")]
    kept = [r["id"] for r in read_jsonl(out / "filtered.jsonl")]
    assert sorted(scored) == sorted(kept) == sorted(records(out, "manifest.rank*.jsonl"))
