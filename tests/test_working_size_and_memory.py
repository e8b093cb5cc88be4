"""A processing size by default and a memory estimate checked before any frame is decoded
(issue 21: a compose run with raw_video motion was killed at 23.7 GB)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from motionctx.cli import run
from motionctx.engines.inputs import DRIVING_AREA, fit_inputs
from motionctx.engines.memory import MEMORY_ENV, MemoryPlan, available_bytes, check_memory, parse_bytes
from motionctx.errors import InputError
from motionctx.io import read_image, read_video, write_image, write_video
from motionctx.types import Geometry, Image, Video

from .conftest import REPO


@pytest.fixture(scope="module")
def phone(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A 1080x1920 photo and a 41-frame 1108x692 (H x W) phone-shaped clip, smooth content."""
    import torch

    d = tmp_path_factory.mktemp("phone")
    yy, xx = torch.meshgrid(torch.linspace(0, 1, 1080), torch.linspace(0, 1, 1920), indexing="ij")
    photo = write_image(d / "photo.png", Image(torch.stack([yy, xx, (yy + xx) / 2])))
    frames = np.zeros((41, 1108, 692, 3), np.uint8)
    for t in range(41):
        frames[t, 300 + 4 * t : 500 + 4 * t, 200:400] = (200, 80, 40)
    clip = write_video(d / "dance.mp4", Video.from_uint8(frames, fps=16))
    return {"photo": photo, "clip": clip}


def _compose(
    tmp_path: Path,
    phone: dict[str, Path],
    *sets: str,
    env: dict[str, str] | None = None,
    monkeypatch: pytest.MonkeyPatch | None = None,
) -> int:
    if monkeypatch is not None:
        for k, v in (env or {}).items():
            monkeypatch.setenv(k, v)
    return run([
        "recipe", "run", str(REPO / "recipes" / "example.yaml"), "-o", str(tmp_path / "out"), "--no-progress",
        "--set", "parts.motion.use=raw_video", "--set", "parts.motion.with={}",
        "--set", f"inputs.reference={phone['photo']}", "--set", f"inputs.driving={phone['clip']}", *sets,
    ])  # fmt: skip


def test_example_recipe_works_at_about_480x832_with_the_aspect_kept(phone: dict[str, Path], tmp_path: Path) -> None:
    assert _compose(tmp_path, phone) == 0
    composite = read_video(tmp_path / "out" / "composite.mp4")
    h, w2 = composite.size
    assert composite.num_frames == 41
    assert abs(h * (w2 // 2) - 480 * 832) < 0.05 * 480 * 832  # the working area, not 1080x1920
    assert abs((w2 // 2) / h - 1920 / 1080) < 0.05  # the reference's aspect


def test_driving_frames_are_decoded_no_larger_than_the_driving_area(phone: dict[str, Path]) -> None:
    fitted = fit_inputs(phone["photo"], phone["clip"], Geometry(), area=64 * 64, max_frames=5)
    h, w = fitted.driving.size
    assert h * w <= DRIVING_AREA * 1.01 and abs(w / h - 692 / 1108) < 0.01
    assert fitted.reference.size == (48, 80)
    assert any("decoded at" in n for n in fitted.notes)
    small = fit_inputs(phone["photo"], phone["clip"], Geometry(), area=64 * 64, max_frames=5, driving_area=100 * 64)
    assert small.driving.size == (102, 64)  # 6400 pixels at 1108:692, even sides


def test_a_run_that_would_not_fit_says_so_and_the_suggested_frames_fit(
    phone: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code = _compose(tmp_path, phone, env={MEMORY_ENV: "1G"}, monkeypatch=monkeypatch)
    err = capsys.readouterr().err
    assert code == 2, err
    assert "compose: 41 frames at 480x848" in err and "of the 1.0 GB free" in err
    assert err.count("error:") == 1 and "Traceback" not in err
    suggested = int(re.search(r"--set stages\.0\.with\.max_frames=(\d+)", err).group(1))
    assert 1 <= suggested < 41
    assert not (tmp_path / "out").exists()
    assert _compose(tmp_path, phone, f"--set=stages.0.with.max_frames={suggested}") == 0  # the hint works
    assert read_video(tmp_path / "out" / "composite.mp4").num_frames <= suggested


def test_without_a_working_size_the_issue_case_is_refused_not_killed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The issue's numbers: a 1080x1920 photo capped at 1 MiB pixels, 149 frames of 1108x692."""
    plan = MemoryPlan(149, (1108, 692), (768, 1360), None)
    assert plan.total() > 15 * 2**30  # the issue saw 23.7 GB before the kill
    monkeypatch.setenv(MEMORY_ENV, "16G")
    with pytest.raises(InputError, match="max_frames=") as info:
        check_memory(plan, stage="compose", key="stages.0.with")
    assert "max_area" in info.value.hint
    fit = int(re.search(r"max_frames=(\d+)", info.value.hint).group(1))
    assert MemoryPlan(fit, (1108, 692), (768, 1360), None).total() <= 0.8 * 16 * 2**30


def test_memory_plan_grows_with_frames_size_and_previews() -> None:
    base = MemoryPlan(81, (832, 480), (480, 832), 81)
    assert MemoryPlan(161, (832, 480), (480, 832), 81).total() > base.total()
    assert MemoryPlan(81, (832, 480), (720, 1280), 81).total() > base.total()
    assert MemoryPlan(81, (832, 480), (480, 832), 81, preview_height=480).total() > base.total()
    budget = 3 * 2**30
    n = MemoryPlan(10_000, (832, 480), (480, 832), 81).frames_that_fit(budget)
    assert (
        MemoryPlan(n, (832, 480), (480, 832), 81).total()
        <= budget
        < MemoryPlan(n + 1, (832, 480), (480, 832), 81).total()
    )


def test_parse_bytes_and_available(monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse_bytes("8G") == 8 * 2**30 and parse_bytes("512MiB") == 512 * 2**20 and parse_bytes("1000") == 1000
    with pytest.raises(InputError, match=MEMORY_ENV):
        parse_bytes("lots")
    monkeypatch.setenv(MEMORY_ENV, "3G")
    assert available_bytes() == 3 * 2**30
    monkeypatch.delenv(MEMORY_ENV)
    free = available_bytes()
    assert free is None or free > 0


def test_toy_recipe_works_at_the_models_trained_size(tmp_path: Path) -> None:
    import yaml

    stage = yaml.safe_load((REPO / "recipes" / "animate.yaml").read_text())["stages"][0]["with"]
    assert stage["size"] == [32, 32]
    fitted = fit_inputs(
        read_image(REPO / "recipes" / "assets" / "demo" / "reference.png"),
        REPO / "recipes" / "assets" / "demo" / "driving.mp4",
        Geometry(size_multiple=4),
        size=(32, 32),
    )
    assert fitted.reference.size == (32, 32)
