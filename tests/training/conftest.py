"""Fixtures for the training tests: plugins with the training stages, a tiny Wan model, clips."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
RUNNER = Path(__file__).with_name("run_recipe.py")
TRAIN_MODULE = "motionctx.builtins.train_stages"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Heavy tests run only when selected (``-m heavy``), whatever the global options say."""
    if "heavy" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="heavy test: run with -m heavy")
    for item in items:
        if "heavy" in item.keywords and "training" in str(item.path):
            item.add_marker(skip)


@pytest.fixture
def train_plugins() -> Iterator[Any]:
    """Fresh plugins with the training stages, whether or not they are built in yet."""
    from motionctx import plugins
    from motionctx.testing import isolated_plugins

    extra = [importlib.import_module(TRAIN_MODULE)] if TRAIN_MODULE not in plugins.BUILTIN_MODULES else []
    with isolated_plugins(*extra) as p:
        yield p


@pytest.fixture(scope="session")
def tiny_wan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random Wan 2.1-style I2V folder (built once per session, a few seconds)."""
    tiny = pytest.importorskip("motionctx_wan.tiny")
    return tiny.build_tiny_wan(tmp_path_factory.mktemp("wan") / "tiny_i2v", "i2v", seed=0)


def moving_square(frames: int, height: int, width: int, seed: int, fps: float = 8.0) -> Any:
    """A coloured square crossing a grey background: a clip with real motion."""
    import torch

    from motionctx.types import Video

    g = torch.Generator().manual_seed(seed)
    colour = torch.rand(3, generator=g) * 0.8 + 0.1
    side = max(4, min(height, width) // 3)
    x = torch.linspace(0, width - side, frames).round().long()
    y0 = int(torch.randint(0, height - side + 1, (1,), generator=g))
    video = torch.full((frames, 3, height, width), 0.5)
    for t in range(frames):
        video[t, :, y0 : y0 + side, x[t] : x[t] + side] = colour[:, None, None]
    return Video(video, fps)


@pytest.fixture
def make_clips(tmp_path: Path) -> Callable[..., Path]:
    """``make_clips(sizes, frames=13, captions=True, keypoints=False)`` writes clips and a
    manifest under ``tmp_path/clips``; returns the manifest path."""
    from motionctx.io import write_video

    def make(
        sizes: list[tuple[int, int]] | None = None,
        frames: int | list[int] = 13,
        captions: bool = True,
        keypoints: bool = False,
        folder: str = "clips",
    ) -> Path:
        sizes = sizes or [(32, 32), (32, 48), (48, 32), (32, 32)]
        root = tmp_path / folder
        root.mkdir(parents=True, exist_ok=True)
        lines = []
        for i, (h, w) in enumerate(sizes):
            n = frames[i] if isinstance(frames, list) else frames
            path = write_video(root / f"clip{i}.mp4", moving_square(n, h, w, seed=i))
            line: dict[str, Any] = {"id": f"clip{i}", "path": path.name}
            if captions:
                line["caption"] = f"a square moving, clip {i}"
            if keypoints:
                line["keypoints"] = save_square_poses(root / f"clip{i}.npz", n, (h, w), seed=i).name
            lines.append(line)
        manifest = root / "manifest.jsonl"
        manifest.write_text("".join(json.dumps(x) + "\n" for x in lines))
        return manifest

    return make


def save_square_poses(path: Path, frames: int, size: tuple[int, int], seed: int) -> Path:
    """An ``openpose_18`` skeleton standing in the frame and walking right, saved as NPZ."""
    import numpy as np
    import torch

    from motionctx.pose import get_skeleton, save_poses
    from motionctx.types import PoseSequence

    rng = np.random.default_rng(seed)
    sk = get_skeleton("openpose_18")
    h, w = size
    base = rng.uniform([0.35 * w, 0.2 * h], [0.65 * w, 0.8 * h], (sk.num_keypoints, 2))
    shift = np.linspace(-0.1 * w, 0.1 * w, frames)[:, None, None, None]
    kp = base[None, None] + np.concatenate([shift, np.zeros_like(shift)], axis=-1)
    sc = np.ones((frames, 1, sk.num_keypoints))
    return save_poses(
        path, PoseSequence(torch.tensor(kp, dtype=torch.float32), torch.tensor(sc, dtype=torch.float32), sk, size, 8.0)
    )


def write_recipe(
    path: Path,
    *,
    model: Path | None,
    output: Path,
    stages: list[dict[str, Any]],
    motion: dict[str, Any] | None = None,
    backbone: dict[str, Any] | None = None,
) -> Path:
    """A recipe with the tiny Wan backbone (none when ``model`` is None), the spatial composer and
    a static text guider."""
    import yaml

    data: dict[str, Any] = {
        "motionctx": 1,
        "name": "tiny_train",
        "output": str(output),
        "parts": {
            "backbone": {
                "use": "wan_i2v",
                "with": {"path": str(model), "dtype": "float32", "device": "cpu", **(backbone or {})},
            },
            "motion": motion or {"use": "raw_video"},
            "composer": {"use": "spatial"},
            "text": {"use": "static", "with": {"prompt": "a square moving"}},
        },
        "stages": stages,
    }
    if model is None:
        del data["parts"]["backbone"]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


#: Small, fast training settings shared by the tests.
TINY_TRAIN: dict[str, Any] = {
    "frames": [5, 9],
    "buckets": [[32, 32], [32, 48], [48, 32]],
    "lora_rank": 4,
    "lr": 1.0e-3,
    "warmup_steps": 0,
    "log_every": 1,
    "checkpoint_every": 2,
    "validation_frames": 5,
}
TINY_PREPARE: dict[str, Any] = {"min_frames": 5}


def cli(
    *args: str, launcher: list[str] | None = None, env: dict[str, str] | None = None, timeout: float = 240, **popen: Any
) -> subprocess.CompletedProcess[str]:
    """Run ``motionctx ARGS`` (with the training stages) in a subprocess, optionally under a launcher."""
    cmd = [*(launcher or [sys.executable]), str(RUNNER), *args]
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run(
        cmd, check=False, capture_output=True, text=True, env=full_env, cwd=REPO, timeout=timeout, **popen
    )


@pytest.fixture
def kit() -> Any:
    """The helpers above for test modules (conftest is not importable under importlib mode)."""
    from types import SimpleNamespace

    return SimpleNamespace(
        write_recipe=write_recipe,
        cli=cli,
        TINY_TRAIN=dict(TINY_TRAIN),
        TINY_PREPARE=dict(TINY_PREPARE),
        moving_square=moving_square,
        save_square_poses=save_square_poses,
        REPO=REPO,
    )
