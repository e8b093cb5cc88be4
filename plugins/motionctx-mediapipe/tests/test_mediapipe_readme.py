"""The README's Python example runs as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_example_runs(tmp_path: Path) -> None:
    pytest.importorskip("mediapipe.python.solutions.holistic", reason="mediapipe is not installed")
    pytest.importorskip("skimage")
    section = README.read_text().split("## From Python", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)
    script = tmp_path / "example.py"
    script.write_text(code)
    done = subprocess.run(
        [sys.executable, str(script)], check=False, capture_output=True, text=True, cwd=tmp_path, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["openpose_134 (5, 1, 134, 2)", "[32.0, 16.0]"]
    assert (tmp_path / "astronaut_skeleton.mp4").stat().st_size > 0
