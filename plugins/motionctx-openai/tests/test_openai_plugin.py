"""The installed plugin: light discovery, registration, and switching guiders by name with no code change."""

from __future__ import annotations

import subprocess
import sys

import pytest

from motionctx.parts import QualityFilter, TextGuider
from motionctx.plugins import build_part, load_plugins, set_plugins
from motionctx_openai.testing import APPEARANCE_REPLY, FUSED_REPLY, MOTION_REPLY


@pytest.fixture
def plugins():
    loaded = load_plugins()
    old = set_plugins(loaded)
    try:
        yield loaded
    finally:
        set_plugins(old)


def test_discovery_imports_no_heavy_module():
    code = (
        "import sys; from motionctx.plugins import load_plugins; p = load_plugins(strict=True); "
        "info = [i for i in p.infos if i.name == 'openai'][0]; print(sorted(info.parts)); "
        "print(sorted(m for m in ('torch', 'httpx', 'PIL', 'numpy') if m in sys.modules))"
    )
    env = {"MOTIONCTX_LOAD_PLUGINS": "openai", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    parts, heavy = out.strip().splitlines()
    assert parts == ("[('quality_filter', 'mllm_judge'), ('scorer', 'mllm_judge'), ('text_guider', 'mllm_concat'), "
                     "('text_guider', 'mllm_fusion')]")
    assert heavy == "[]"


def test_registered_through_the_entry_point(plugins):
    info = plugins.info("openai")
    assert info.distribution == "motionctx-openai" and info.error is None
    assert plugins.registry.get("quality_filter", "mllm_judge").dimensions == (
        "imaging_quality",
        "aesthetic_quality",
        "temporal_consistency",
        "motion_smoothness",
        "background_consistency",
        "subject_consistency",
    )
    for name in ("mllm_fusion", "mllm_concat"):
        assert issubclass(plugins.registry.get("text_guider", name), TextGuider)
    assert issubclass(plugins.registry.get("quality_filter", "mllm_judge"), QualityFilter)


def test_switching_guiders_by_name(plugins, server, params, reference, driving):
    """What a recipe's `text: {use: NAME, with: {...}}` does: only the name and parameters change."""
    cases = {
        "none": ({}, ""),
        "static": ({"prompt": "a person dancing"}, "a person dancing"),
        "concat": ({"appearance": "a red fox", "motion": "jumps twice"}, "a red fox jumps twice"),
        "mllm_concat": (params, f"{APPEARANCE_REPLY} {MOTION_REPLY}"),
        "mllm_fusion": (params, FUSED_REPLY),
    }
    requests = {}
    for name, (with_, expected) in cases.items():
        before = len(server.requests)
        guider = build_part("text_guider", name, with_)
        assert isinstance(guider, TextGuider)
        assert guider.describe(reference, driving) == expected, name
        requests[name] = len(server.requests) - before
    assert requests == {"none": 0, "static": 0, "concat": 0, "mllm_concat": 2, "mllm_fusion": 1}  # 2 cached


def test_bad_parameter_is_a_recipe_error(plugins):
    from motionctx.errors import RecipeError

    with pytest.raises(RecipeError, match="frames.num_frame: unknown parameter") as info:
        build_part("text_guider", "mllm_fusion", {"frames": {"num_frame": 4}}, where="parts.text.with")
    assert "parts.text.with" in str(info.value)
    with pytest.raises(RecipeError, match="did you mean 'max_retries'"):
        build_part("quality_filter", "mllm_judge", {"max_retry": 4})


def test_readme_offline_example_runs(plugins, tmp_path, monkeypatch, capsys):
    import ast
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    code = readme.split("## From Python, offline", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    monkeypatch.setenv("MOTIONCTX_CACHE_DIR", str(tmp_path))
    exec(compile(code, "README.md", "exec"), {})
    out = capsys.readouterr().out.splitlines()
    assert out[0] == FUSED_REPLY and sorted(ast.literal_eval(out[1])) == [0, 1, 8]
