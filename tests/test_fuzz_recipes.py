"""Fuzzing ``motionctx recipe validate`` with generated recipe documents and ``--set`` values:
every outcome is either ``ok`` (exit 0) or one clear error with a hint (exit 2), never a traceback
or an internal error."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from motionctx.cli import run
from motionctx.recipe import TOP_LEVEL_KEYS

from .test_bad_inputs import first_error

FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "120")),
    deadline=None,
    derandomize=not os.environ.get("FUZZ_EXAMPLES"),
    # capsys is read before and after every example, so sharing it between examples is safe
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

#: pieces of YAML and recipe syntax that reach the interesting code paths
SNIPPETS = [
    "", "[", "]", "{", "}", "{a: 1, a: 2}", "&a [*a]", "*a", "!!python/object:os.system", "!!binary AAAA", ".inf",
    ".nan", "-.inf", "1e400", "99999999999999999999999", "0x1F", "~", "null", "yes", "2024-01-01", "${", "${}",
    "${HOME}", "${NOPE_NOT_SET}", "${NOPE:-fallback}", "${inputs.x}", "${name}", "${recipe_dir}", "${a.b.c}",
    "\t", "'", '"', "- ", ": ", "#", "%YAML 1.1", "---", "...", "<<: *a", "? [a]", "\\u0000", "é", "\ufeff",
]  # fmt: skip
PART_NAMES = ["spatial", "temporal", "first_frame", "raw_video", "pose", "static", "none", "keypoints_file", "x"]
STAGE_NAMES = ["compose", "animate", "prepare", "train", "synthesize", "filter", "nope"]
KEYS = [*TOP_LEVEL_KEYS, "use", "with", "run", "kind", "seed", "steps", "size", "reference", "driving", "prompt"]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(SNIPPETS + PART_NAMES + STAGE_NAMES),
    st.text(max_size=12),
)
keys = st.one_of(st.sampled_from(KEYS), st.text(max_size=8), st.integers(-3, 3))
values = st.recursive(
    scalars, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)), max_leaves=12
)
part = st.fixed_dictionaries(
    {"use": st.one_of(st.sampled_from(PART_NAMES), scalars)}, optional={"with": values, "kind": scalars}
)
stage = st.fixed_dictionaries(
    {"run": st.one_of(st.sampled_from(STAGE_NAMES), scalars)}, optional={"with": values, "name": scalars}
)
documents = st.fixed_dictionaries(
    {},
    optional={
        "motionctx": st.one_of(st.just(1), scalars),
        "name": scalars,
        "output": scalars,
        "extends": st.one_of(scalars, st.lists(scalars, max_size=2)),
        "requires": st.one_of(scalars, st.lists(st.sampled_from(["motionctx", "nope-dist", "x>=", "motionctx>=99"]))),
        "inputs": st.one_of(values, st.dictionaries(st.sampled_from(["reference", "driving"]), scalars)),
        "parts": st.one_of(values, st.dictionaries(st.sampled_from(["composer", "motion", "text", "x"]), part)),
        "stages": st.one_of(values, st.lists(stage, max_size=2)),
        "junk": values,
    },
)
assignments = st.builds(
    lambda k, v: f"{k}={v}",
    st.one_of(
        st.sampled_from(["name", "output", "motionctx", "parts.composer.use", "parts.composer.with", "stages.0.with.seed",
                         "stages.0.run", "stages.9.x", "inputs.reference", "extends", "requires", "parts", "stages", "a..b",
                         "", " ", "parts.composer.with.x.y"]),
        st.text(max_size=10),
    ),
    st.one_of(st.sampled_from(SNIPPETS), st.text(max_size=20), st.integers(-(2**70), 2**70).map(str)),
)
raw_text = st.one_of(
    st.lists(st.sampled_from(SNIPPETS + KEYS + [": ", "\n", "  ", " - "]), max_size=30).map("".join),
    st.text(max_size=200),
)

BASE = "motionctx: 1\nname: base\nparts:\n  composer: {use: spatial}\n"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("fuzz")
    (d / "base.yaml").write_text(BASE)
    return d


def _validate(folder: Path, text: str, sets: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    recipe = folder / "r.yaml"
    recipe.write_text(text, encoding="utf-8")
    capsys.readouterr()
    code = run(["recipe", "validate", str(recipe), *[a for s in sets for a in ("--set", s)]])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and "internal error" not in err, (text, sets, err)
    assert code in (0, 2), (text, sets, err)
    if code == 0:
        assert out.startswith("ok "), (text, sets, out)
    else:
        lines = err.splitlines()
        line = first_error(err)
        assert line.startswith("error: "), (text, sets, err)
        assert lines[lines.index(line) + 1].startswith("hint: "), (text, sets, err)


@FUZZ
@given(doc=documents)
def test_generated_recipe_documents(doc: dict, folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _validate(folder, yaml.safe_dump(doc, allow_unicode=True), [], capsys)


@FUZZ
@given(sets=st.lists(assignments, min_size=1, max_size=3))
def test_generated_set_values(sets: list[str], folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _validate(folder, "motionctx: 1\nextends: base.yaml\nstages: [{run: compose, with: {reference: a, driving: b}}]\n",
              sets, capsys)  # fmt: skip


@FUZZ
@given(text=raw_text)
def test_generated_raw_text(text: str, folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _validate(folder, text, [], capsys)
