"""Run folders: a run's outputs land together with run.json, never mixed with another run's or a
user's files; a second run into the same folder is refused; killed runs leave a whole run."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from motionctx.cli import run
from motionctx.errors import InputError
from motionctx.io.runfolder import MARKER, RunFolder

from .conftest import REPO
from .test_bad_inputs import COMPOSE, _media


@pytest.fixture
def recipe(tmp_path: Path) -> Path:
    text = COMPOSE.format(**_media(tmp_path / "media")).replace(
        "  composer: {use: spatial}\n", "  composer: {use: spatial}\n  text: {use: static, with: {prompt: first}}\n"
    )
    path = tmp_path / "r.yaml"
    path.write_text(text)
    return path


def _run(recipe: Path, out: Path, *extra: str) -> int:
    return run(["recipe", "run", str(recipe), "-o", str(out), "--no-progress", *extra])


def assert_one_whole_run(out: Path) -> str:
    """``out`` holds exactly the files its complete run.json lists, and prompt.txt is the one
    that run's recipe asked for; returns that prompt."""
    record = json.loads((out / MARKER).read_text())
    assert record["status"] == "complete"
    assert sorted(p.name for p in out.iterdir()) == sorted([*record["files"], MARKER])
    prompt = record["recipe"]["parts"]["text"]["with"]["prompt"]
    assert (out / "prompt.txt").read_text() == prompt + "\n"
    for path in record["stages"][0]["outputs"].values():
        assert Path(path).is_file() and Path(path).parent == out
    return prompt


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_a_run_lands_whole_and_a_rerun_replaces_it(recipe: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert _run(recipe, out) == 0
    assert assert_one_whole_run(out) == "first"
    assert _run(recipe, out, "--set", "parts.text.with.prompt=second") == 0
    assert assert_one_whole_run(out) == "second"
    assert leftovers(tmp_path) == [] and leftovers(out) == []


def test_files_a_user_put_in_are_never_replaced_without_force(
    recipe: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "prompt.txt").write_text("my notes\n")
    (mine / "keep.txt").write_text("keep\n")
    assert _run(recipe, mine) == 2 and "holds files motionctx did not write" in capsys.readouterr().err
    assert (mine / "prompt.txt").read_text() == "my notes\n"
    assert _run(recipe, mine, "--force") == 0
    assert (mine / "prompt.txt").read_text() == "first\n" and (mine / "keep.txt").read_text() == "keep\n"
    assert json.loads((mine / MARKER).read_text())["status"] == "complete"
    # a file added to a finished run folder is not deleted by the next run either
    out = tmp_path / "out"
    assert _run(recipe, out) == 0
    (out / "notes.md").write_text("about this run\n")
    assert _run(recipe, out) == 2 and "(notes.md)" in capsys.readouterr().err
    assert (out / "notes.md").is_file()


def test_a_second_run_into_a_locked_folder_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with RunFolder(out, staged=True) as first:
        with pytest.raises(InputError, match=r"another motionctx run \(process \d+\) is writing into"):
            RunFolder(out, staged=True).__enter__()
        first.commit({"stages": []})
    assert json.loads((out / MARKER).read_text())["status"] == "complete"
    assert leftovers(tmp_path) == []


def test_a_dead_runs_lock_and_temporaries_are_cleaned(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with RunFolder(out, staged=True) as folder:
        (folder.work / "a.txt").write_text("a")
        folder.commit({"stages": []})
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], check=True, capture_output=True, text=True)
    (tmp_path / ".out.motionctx.lock").write_text(f"{dead.stdout.strip()} {os.uname().nodename}\n")
    (tmp_path / ".out.staging-abc").mkdir()
    (out / ".a.tmp-xyz.txt").write_text("half")
    with RunFolder(out, staged=True) as folder:
        assert leftovers(tmp_path) == [".out.motionctx.lock", folder.work.name] and leftovers(out) == []
        (folder.work / "b.txt").write_text("b")
        folder.commit({"stages": []})
    assert sorted(p.name for p in out.iterdir()) == ["b.txt", MARKER] and leftovers(tmp_path) == []


def test_another_ranks_temporary_in_progress_is_left_alone(tmp_path: Path) -> None:
    """Rank 0 of a multi-process launch cleans temporaries when it starts; one that another rank is
    writing right then (its process alive) stays, one of a dead process goes."""
    from motionctx.io import atomic_path

    out = tmp_path / "out"
    out.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], check=True, capture_output=True, text=True)
    (out / f".a.tmp-{dead.stdout.strip()}-x.mp4").write_text("killed half-way")
    writer = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (out / f".b.tmp-{writer.pid}-y.mp4").write_text("being written")
        with RunFolder(out, staged=False, rank=0, world=2):
            assert [p.name for p in out.glob(".*.tmp-*")] == [f".b.tmp-{writer.pid}-y.mp4"]
    finally:
        writer.kill()
        writer.wait()
    with atomic_path(out / "c.mp4") as tmp:  # our own temporaries carry our process id
        assert tmp.name.startswith(f".c.tmp-{os.getpid()}-")
        tmp.write_text("c")


def test_a_run_lost_between_two_renames_is_restored(tmp_path: Path) -> None:
    """Where the file system cannot exchange two folders atomically, the previous run is renamed
    aside first; if the process dies right then, the next run puts it back before anything else."""
    out = tmp_path / "out"
    with RunFolder(out, staged=True) as folder:
        (folder.work / "a.txt").write_text("a")
        folder.commit({"stages": []})
    os.replace(out, tmp_path / ".out.replaced-12345")
    with RunFolder(out, staged=True):
        assert (out / "a.txt").read_text() == "a"
    assert leftovers(tmp_path) == []


def test_output_folder_checked_before_any_work(recipe: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "file").write_text("x")
    assert _run(recipe, tmp_path / "file" / "out") == 2
    assert "is a file, not a folder" in capsys.readouterr().err


def _cli(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "COLUMNS": "200"}
    cmd = [sys.executable, "-m", "motionctx.cli", *args]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)


@pytest.mark.slow
def test_killed_runs_leave_the_previous_or_the_new_run_never_a_mix(recipe: Path, tmp_path: Path) -> None:
    """Three SIGKILLs and three SIGTERMs at seeded random moments of a rerun: the folder holds one
    whole run every time, and a rerun afterwards completes."""
    out = tmp_path / "out"
    started = time.perf_counter()
    assert _cli("recipe", "run", str(recipe), "-o", str(out), "--no-progress").wait(120) == 0
    full = time.perf_counter() - started
    rng = random.Random(22)
    seen, killed = set(), 0
    for i, sig in enumerate([signal.SIGKILL, signal.SIGTERM] * 3):
        proc = _cli("recipe", "run", str(recipe), "-o", str(out), "--no-progress", "--set", f"parts.text.with.prompt=p{i}")
        time.sleep(rng.uniform(0.05, 0.95) * full)
        proc.send_signal(sig)
        proc.wait(120)
        seen.add(assert_one_whole_run(out))
        killed += proc.returncode < 0
        assert [n for n in leftovers(tmp_path) if ".tmp-" in n] == []
    rerun = _cli("recipe", "run", str(recipe), "-o", str(out), "--no-progress", "--set", "parts.text.with.prompt=last")
    assert rerun.wait(120) == 0, rerun.stderr.read() if rerun.stderr else ""
    assert assert_one_whole_run(out) == "last" and leftovers(tmp_path) == [] and leftovers(out) == []
    assert killed >= 4  # most signals landed while the run was going on


@pytest.mark.skipif(os.geteuid() == 0, reason="permissions do not stop root")
def test_a_read_only_output_folder_is_refused_before_any_work(
    recipe: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        assert _run(recipe, locked / "out") == 2
        assert "cannot write into" in capsys.readouterr().err
    finally:
        locked.chmod(0o755)
