"""Docs as contract: every hook is documented with its exact signature."""

from __future__ import annotations

import inspect

from motionctx import hookspecs

from .conftest import REPO


def _hooks() -> list[tuple[str, str]]:
    out = []
    for name, fn in vars(hookspecs).items():
        if callable(fn) and hasattr(fn, "motionctx_spec"):
            sig = inspect.signature(fn)
            params = ", ".join(f"{p.name}: {p.annotation}" for p in sig.parameters.values())
            out.append((name, f"{name}({params}) -> {sig.return_annotation}"))
    return out


def test_every_hook_is_documented_with_its_signature() -> None:
    doc = (REPO / "docs" / "plugins" / "hooks.md").read_text()
    hooks = _hooks()
    assert len(hooks) == 9
    for name, signature in hooks:
        assert f"## {signature}" in doc, f"docs/plugins/hooks.md lacks the heading '## {signature}'"
        assert inspect.getdoc(getattr(hookspecs, name)), f"hook {name} has no docstring"


def test_readme_python_example_runs(tmp_path) -> None:
    import re
    import subprocess
    import sys

    block = re.search(r"```python\n(.*?)```", (REPO / "README.md").read_text(), re.DOTALL).group(1)
    script = tmp_path / "readme_example.py"
    script.write_text(block.replace('"recipes/', f'"{REPO}/recipes/'))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "torch.Size([17, 3, 32, 64])" in out.stdout
