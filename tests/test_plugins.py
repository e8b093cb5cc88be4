"""Plugin discovery: built-ins through hooks, entry points, broken plugins, duplicates, env vars."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import ClassVar

import pytest

from motionctx.errors import DuplicatePartError, PluginError, UnknownPartError
from motionctx.hookspecs import hookimpl
from motionctx.parts import Composer
from motionctx.plugins import get_registry, load_plugins
from motionctx.testing import register_plugin

from .conftest import REPO, run_cli


def _fake_distribution(site: Path, name: str, module_code: str, ep_name: str | None = None) -> None:
    """A real installed distribution as importlib.metadata sees it: dist-info + module."""
    mod = name.replace("-", "_")
    (site / f"{mod}.py").write_text(textwrap.dedent(module_code))
    info = site / f"{mod}-0.0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.0.1\n")
    (info / "entry_points.txt").write_text(f"[motionctx]\n{ep_name or mod} = {mod}\n")


def test_discovery_does_not_import_torch() -> None:
    code = "import sys, motionctx.plugins as p; p.get_plugins(); assert 'torch' not in sys.modules, 'torch imported'; print('ok')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "ok" in out.stdout


def test_builtins_register_through_hooks() -> None:
    plugins = load_plugins()
    builtin = [i for i in plugins.infos if i.builtin]
    assert ("composer", "spatial") in [p for i in builtin for p in i.parts]
    assert all(i.distribution == "motionctx" for i in builtin)


def test_example_plugin_installed_for_real(tmp_path: Path) -> None:
    site, src = tmp_path / "site", tmp_path / "src"
    # build from a copy: pip builds local folders in place and would leave build/ in the repo
    shutil.copytree(REPO / "plugins" / "motionctx-example", src, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    pip = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--target", str(site),
         str(src)],
        capture_output=True, text=True, timeout=300,
    )
    assert pip.returncode == 0, pip.stderr
    env = {"PYTHONPATH": str(site), "MOTIONCTX_LOAD_PLUGINS": "motionctx-example"}
    listed = run_cli("plugins", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    example = [p for p in json.loads(listed.stdout) if p["distribution"] == "motionctx-example"]
    assert example and {"kind": "composer", "name": "vertical"} in example[0]["parts"] and example[0]["error"] is None
    where = subprocess.run([sys.executable, "-c", "import motionctx_example; print(motionctx_example.__file__)"],
                           capture_output=True, text=True, env={**__import__("os").environ, **env})
    assert where.stdout.strip().startswith(str(site)), "the pip-installed copy must be the one discovered"
    recipe = tmp_path / "r.yaml"
    recipe.write_text("motionctx: 1\nname: t\nrequires: [motionctx-example>=0.1]\nparts:\n  composer: {use: vertical}\n"
                      "  text: {use: template, with: {template: 'x'}}\n")
    assert run_cli("recipe", "validate", str(recipe), env=env).returncode == 0


def test_broken_plugin_is_one_line_and_the_rest_works(tmp_path: Path) -> None:
    _fake_distribution(tmp_path, "motionctx-broken", "import no_such_module_anywhere\n")
    env = {"PYTHONPATH": str(tmp_path), "MOTIONCTX_LOAD_PLUGINS": "motionctx-broken"}
    out = run_cli("plugins", env=env)
    assert out.returncode == 0
    lines = [l for l in out.stderr.splitlines() if "motionctx-broken" in l]
    assert len(lines) == 1 and "ModuleNotFoundError" in lines[0] and "no_such_module_anywhere" in lines[0]
    parts = run_cli("parts", "composer", "--json", env=env)
    assert parts.returncode == 0 and "spatial" in parts.stdout
    strict = run_cli("--strict-plugins", "parts", env=env)
    assert strict.returncode == 2 and "motionctx-broken" in strict.stderr


def test_load_and_disable_env_vars(tmp_path: Path) -> None:
    _fake_distribution(tmp_path, "motionctx-extra", """
        from motionctx.hookspecs import hookimpl
        from motionctx.builtins.composers import SpatialComposer
        class Wide(SpatialComposer):
            '''A test composer.'''
            name = "wide"
        @hookimpl
        def register_composers(register):
            register(Wide)
    """)
    base = {"PYTHONPATH": str(tmp_path)}
    names = lambda env: {p["name"] for p in json.loads(run_cli("parts", "composer", "--json", env={**base, **env}).stdout)}
    assert "wide" in names({"MOTIONCTX_LOAD_PLUGINS": "motionctx-extra"})
    assert "wide" not in names({"MOTIONCTX_LOAD_PLUGINS": ""})  # empty = built-ins only
    assert "wide" not in names({"MOTIONCTX_DISABLE_PLUGINS": "motionctx-extra"})
    traced = run_cli("plugins", env={**base, "MOTIONCTX_LOAD_PLUGINS": "motionctx-extra", "MOTIONCTX_TRACE_PLUGINS": "1"})
    assert "register_composers -> motionctx_extra: wide" in traced.stderr


class _Dup(Composer):
    """A second composer claiming the name 'spatial'."""

    name: ClassVar[str] = "spatial"

    def compose(self, reference, motion, geometry=None):  # pragma: no cover - never built
        raise AssertionError


class dup_plugin:  # noqa: N801 - plugin objects are named like distributions
    @staticmethod
    @hookimpl
    def register_composers(register):
        register(_Dup)


def test_duplicate_name_fails_naming_both_providers() -> None:
    with register_plugin(dup_plugin) as plugins:
        with pytest.raises(DuplicatePartError, match="composer 'spatial' is registered by both motionctx and dup_plugin"):
            get_registry().get("composer", "spatial")
        assert get_registry().get("composer", "temporal")  # others keep working
        assert any("registered by both" in (i.error or "") for i in plugins.infos)
    with pytest.raises(PluginError, match="registered by both"):
        load_plugins(strict=True, extra=[dup_plugin])


def test_unknown_name_lists_parts_and_closest_match() -> None:
    with pytest.raises(UnknownPartError) as err:
        get_registry().get("composer", "spatail")
    assert "no composer named 'spatail'" in err.value.message
    assert "did you mean 'spatial'?" in err.value.hint and "temporal" in err.value.hint


def test_registering_an_instance_is_refused() -> None:
    class bad:  # noqa: N801
        @staticmethod
        @hookimpl
        def register_composers(register):
            register(object())

    with register_plugin(bad) as plugins:
        info = next(i for i in plugins.infos if i.name == "bad")
        assert "not a subclass of Composer" in info.error
        assert get_registry().get("composer", "spatial")


def test_validating_recipes_loads_no_heavy_module() -> None:
    code = (
        "import sys\n"
        "from motionctx.recipe import load_recipe\n"
        "for r in ('recipes/example.yaml', 'recipes/pose_m2.yaml', 'recipes/e2e_m2.yaml', 'recipes/train_pose_m2.yaml'):\n"
        "    load_recipe(r)\n"
        "heavy = [m for m in ('torch', 'diffusers', 'transformers', 'onnxruntime', 'cv2') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "print('ok')\n"
    )
    env = {**__import__("os").environ, **{v: "/x" for v in ("WAN_I2V_PATH", "POSE_M2_LORA", "DWPOSE_DIR",
                                                               "SOURCE_MANIFEST", "REFERENCES_DIR", "TRAIN_MANIFEST")}}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO, env=env)
    assert out.returncode == 0 and "ok" in out.stdout, out.stderr
