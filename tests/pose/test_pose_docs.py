"""docs/pose.md's example runs as written."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "pose.md"


def test_the_python_example_runs(capsys) -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.DOTALL)
    assert blocks, "docs/pose.md lost its example"
    for code in blocks:
        exec(compile(code, str(DOC), "exec"), {})  # noqa: S102 - runs the documented example
    x0, y0, x1, y1 = (float(v) for v in re.findall(r"[\d.]+", capsys.readouterr().out)[:4])
    assert 51.2 - 1e-3 <= x0 and x1 <= 460.8 + 1e-3 and 51.2 - 1e-3 <= y0 and y1 <= 460.8 + 1e-3
