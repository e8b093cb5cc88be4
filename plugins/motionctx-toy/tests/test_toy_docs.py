"""The examples in docs/toy.md run as written; the recipe commands in the toy docs validate."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[3] / "docs"
DOC = DOCS / "toy.md"
EXPERIMENTS = DOCS / "toy-experiments.md"


def test_docs_examples_run(capsys) -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.DOTALL)
    assert len(blocks) >= 2, "docs/toy.md lost a python example"
    for block in blocks:  # each on its own, as a reader would paste it
        exec(compile(block, str(DOC), "exec"), {})  # noqa: S102 - our own documentation
    out = capsys.readouterr().out
    assert "torch.Size([9, 3, 64, 64])" in out
    assert "'iou': 1.0" in out


@pytest.mark.parametrize("doc", [DOC, EXPERIMENTS], ids=lambda p: p.name)
def test_documented_recipe_commands_validate(doc: Path) -> None:
    """Every `motionctx recipe run` command in the toy docs names a recipe and --set overrides
    that `motionctx recipe validate` accepts (stage parameters included)."""
    import shlex
    import subprocess
    import sys

    text = "\n".join(re.findall(r"```bash\n(.*?)```", doc.read_text(encoding="utf-8"), flags=re.DOTALL))
    commands = [c for c in text.replace("\\\n", " ").splitlines() if "motionctx recipe run" in c]
    assert commands or doc != DOC, f"{doc.name} shows no recipe command"
    for command in commands:
        words = shlex.split(command, comments=True)  # as bash reads it
        args = words[words.index("run") + 1 :]
        done = subprocess.run([sys.executable, "-m", "motionctx.cli", "recipe", "validate", *args],
                              cwd=DOC.parents[1], capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, f"{command}\n{done.stderr}"
