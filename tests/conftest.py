"""Shared fixtures for the core tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from motionctx.testing import plugins, random_image, random_video  # noqa: F401  (fixture re-export)

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def media(tmp_path: Path) -> dict[str, Path]:
    """A real reference PNG and a real driving mp4 (9 frames, 32x48) on disk."""
    from motionctx.io import write_image, write_video

    ref = write_image(tmp_path / "ref.png", random_image(40, 36, seed=3))
    drv = write_video(tmp_path / "drive.mp4", random_video(11, 32, 48, seed=4, fps=10))
    return {"reference": ref, "driving": drv}


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real ``motionctx`` CLI in a subprocess."""
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "motionctx.cli", *args], capture_output=True, text=True, env=full_env, cwd=cwd or REPO, timeout=300
    )
