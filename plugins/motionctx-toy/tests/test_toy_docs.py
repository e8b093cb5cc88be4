"""The example in docs/toy.md runs as written."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[3] / "docs" / "toy.md"


def test_docs_example_runs(capsys) -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.DOTALL)
    assert blocks, "docs/toy.md has no python example"
    exec(compile(blocks[0], str(DOC), "exec"), {})  # noqa: S102 - our own documentation
    out = capsys.readouterr().out
    assert "torch.Size([9, 3, 64, 64])" in out
    assert "'iou': 1.0" in out
