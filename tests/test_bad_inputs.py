"""A corpus of malformed inputs fed to the real CLI: each ends in exit 2 with one clear first error
line, no traceback, and nothing written (the folder it ran in is byte-for-byte unchanged).

Every case writes its files into ``tmp_path`` and returns the command line; ``motionctx.cli.run``
is the console script's own entry point (parsing, the error boundary, exit codes) run in-process
to keep the corpus fast.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from motionctx.cli import run
from motionctx.io import write_image, write_video
from motionctx.testing import random_image, random_video

COMPOSE = """\
motionctx: 1
name: t
inputs: {{reference: {reference}, driving: {driving}}}
parts:
  motion: {{use: raw_video}}
  composer: {{use: spatial}}
stages:
  - run: compose
    with: {{reference: "${{inputs.reference}}", driving: "${{inputs.driving}}"}}
"""


def _media(d: Path) -> dict[str, Path]:
    d.mkdir(exist_ok=True)
    ref = d / "ref.png"
    drv = d / "drive.mp4"
    if not ref.exists():
        write_image(ref, random_image(32, 32, seed=1))
        write_video(drv, random_video(5, 32, 32, seed=2, fps=8))
    return {"reference": ref, "driving": drv}


def _recipe(d: Path, text: str | bytes, name: str = "r.yaml") -> Path:
    p = d / name
    p.write_bytes(text.encode() if isinstance(text, str) else text)
    return p


def _good_recipe(d: Path) -> Path:
    return _recipe(d, COMPOSE.format(**_media(d / "media")))


def _validate(text: str | bytes, *extra: str) -> Callable[[Path], list[str]]:
    return lambda d: ["recipe", "validate", str(_recipe(d, text)), *extra]


def _set(*assignments: str) -> Callable[[Path], list[str]]:
    def build(d: Path) -> list[str]:
        return ["recipe", "validate", str(_good_recipe(d)), *[a for s in assignments for a in ("--set", s)]]

    return build


def _run_with(**inputs: Callable[[Path], Path]) -> Callable[[Path], list[str]]:
    def build(d: Path) -> list[str]:
        args = ["recipe", "run", str(_good_recipe(d)), "-o", str(d / "out"), "--no-progress"]
        for key, make in inputs.items():
            args += ["--set", f"inputs.{key}={make(d)}"]
        return args

    return build


def _png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width x height`` (the pixel data is a few bytes)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")


def _file(name: str, data: bytes | str) -> Callable[[Path], Path]:
    def make(d: Path) -> Path:
        p = d / name
        p.write_bytes(data.encode() if isinstance(data, str) else data)
        return p

    return make


def _truncated_png(d: Path) -> Path:
    full = write_image(d / "full.png", random_image(32, 32, seed=5)).read_bytes()
    (d / "full.png").unlink()
    return _file("cut.png", full[: len(full) // 2])(d)


def _person(first_x: object = 1.0) -> dict[str, object]:
    return {"pose_keypoints_2d": [first_x, 2.0, 1.0] + [5.0, 5.0, 1.0] * 17}


def _pose_json(frames: object, **top: object) -> str:
    return json.dumps({"canvas_height": 40, "canvas_width": 40, **top, "frames": frames})


def _render(poses: Callable[[Path], Path] | None = None, *extra: str, out: str = "s.mp4") -> Callable[[Path], list[str]]:
    def build(d: Path) -> list[str]:
        p = poses(d) if poses else _file("p.json", _pose_json([{"people": [_person()]}]))(d)
        return ["pose", "render", str(p), "--out", str(d / out), *extra]

    return build


def _npz(keypoints: np.ndarray, size: tuple[int, int] = (40, 40)) -> Callable[[Path], Path]:
    def make(d: Path) -> Path:
        p = d / "p.npz"
        t, n, k = keypoints.shape[:3]
        np.savez(p, keypoints=keypoints.astype(np.float32), scores=np.ones((t, n, k), np.float32),
                 format=np.array("openpose_134"), size=np.array(size), fps=np.array(8.0))  # fmt: skip
        return p

    return make


def _with_nan(value: float) -> np.ndarray:
    kp = np.full((3, 1, 134, 2), 10.0)
    kp[1, 0, 4, 0] = value
    return kp


def _check(manifest: Callable[[Path], Path], *extra: str) -> Callable[[Path], list[str]]:
    return lambda d: ["data", "check", str(manifest(d)), *extra]


def _checkpoint(lora: bytes) -> Callable[[Path], list[str]]:
    def build(d: Path) -> list[str]:
        ckpt = d / "step-00000010"
        ckpt.mkdir()
        (ckpt / "checkpoint.json").write_text("{}")
        (ckpt / "lora.safetensors").write_bytes(lora)
        return ["recipe", "export", str(_good_recipe(d)), str(ckpt), "--out", str(d / "lora.safetensors")]

    return build


def _loop(d: Path) -> list[str]:
    (d / "a.yaml").symlink_to(d / "b.yaml")
    (d / "b.yaml").symlink_to(d / "a.yaml")
    return ["recipe", "validate", str(d / "a.yaml")]


def _extends_cycle(d: Path) -> list[str]:
    _recipe(d, "motionctx: 1\nextends: b.yaml\n", "a.yaml")
    _recipe(d, "motionctx: 1\nextends: a.yaml\n", "b.yaml")
    return ["recipe", "validate", str(d / "a.yaml")]


def _child(text: str) -> Callable[[Path], list[str]]:
    def build(d: Path) -> list[str]:
        base = _good_recipe(d)
        return ["recipe", "validate", str(_recipe(d, f"extends: {base.name}\n{text}", "child.yaml"))]

    return build


def _output_is(make: Callable[[Path], Path]) -> Callable[[Path], list[str]]:
    def build(d: Path) -> list[str]:
        return ["recipe", "run", str(_good_recipe(d)), "-o", str(make(d)), "--no-progress"]

    return build


def _user_folder(d: Path) -> Path:
    (d / "mine").mkdir()
    (d / "mine" / "prompt.txt").write_text("my own notes\n")
    return d / "mine"


BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdefg", "bcdefgh")
)


@dataclass(frozen=True)
class Case:
    id: str
    build: Callable[[Path], list[str]]
    first_line: str  # a piece of the first error line


CASES = [
    # ---- recipe files: reading and YAML
    Case("recipe-missing", lambda d: ["recipe", "validate", str(d / "none.yaml")], "does not exist"),
    Case("recipe-is-folder", lambda d: ["recipe", "validate", str(d)], "is a folder, not a file"),
    Case("recipe-latin1", _validate(b"motionctx: 1\nname: caf\xe9\n"), "is not UTF-8 text (byte 0xe9 on line 2)"),
    Case("recipe-random-bytes", _validate(bytes(range(256)) * 4), "is not UTF-8 text"),
    Case("recipe-empty", _validate(""), "the recipe is empty"),
    Case("recipe-a-list", _validate("- motionctx: 1\n"), "a recipe must be a mapping, got list"),
    Case("recipe-a-number", _validate("5\n"), "a recipe must be a mapping, got int"),
    Case("recipe-bad-syntax", _validate("motionctx: 1\nparts: {composer: [\n"), "invalid YAML: line"),
    Case("recipe-tab-indent", _validate("motionctx: 1\nparts:\n\tcomposer: {}\n"), "invalid YAML"),
    Case("recipe-deep-brackets", _validate("[" * 20000), "nested deeper than 64 levels"),
    Case("recipe-deep-mapping", _validate("a: " * 200 + "1\n"), "invalid YAML"),
    Case("recipe-alias-bomb", _validate(BOMB), "expands to more than 100000 values"),
    Case("recipe-many-aliases", _validate("a: &a 1\nb: [" + ", ".join(["*a"] * 300) + "]\n"), "more than 256 aliases"),
    Case("recipe-duplicate-key", _validate("motionctx: 1\nname: a\nname: b\n"), "key 'name' appears twice"),
    Case(
        "recipe-duplicate-nested-key",
        _validate("motionctx: 1\nparts:\n  composer: {use: spatial}\n  composer: {use: temporal}\n"),
        "key 'composer' appears twice in one mapping (first on line 3)",
    ),
    Case("recipe-too-large", _validate("motionctx: 1\n" + "# pad\n" * 200_000), "the limit is 1048576"),
    Case("recipe-symlink-loop", _loop, "is a symbolic link that leads nowhere"),
    Case("recipe-python-tag", _validate("motionctx: 1\nname: !!python/object/apply:os.system [ls]\n"), "invalid YAML"),
    # ---- recipe schema
    Case("extends-a-number", _validate("motionctx: 1\nextends: 5\n"), "`extends` must be a file name or a list"),
    Case("extends-list-with-number", _validate("motionctx: 1\nextends: [base.yaml, 5]\n"), "`extends` must be"),
    Case("extends-missing-file", _validate("motionctx: 1\nextends: nothere.yaml\n"), "does not exist"),
    Case("extends-cycle", _extends_cycle, "`extends` forms a cycle"),
    Case("child-parts-a-list", _child("parts: [composer, motion]\n"), "`parts` must be a mapping"),
    Case("parts-a-list", _validate("motionctx: 1\nparts: [1, 2]\n"), "`parts` must be a mapping"),
    Case("output-a-number", _validate("motionctx: 1\noutput: 5\n"), "`output` must be a folder path, got 5"),
    Case("name-a-date", _validate("motionctx: 1\nname: 2024-01-01\n"), "`name` must be a name"),
    Case("inputs-a-list", _validate("motionctx: 1\ninputs: [a]\n"), "`inputs` must be a mapping"),
    Case("stages-a-mapping", _validate("motionctx: 1\nstages: {a: 1}\n"), "`stages` must be a list"),
    Case("stage-a-number", _validate("motionctx: 1\nstages: [5]\n"), "expected a mapping with `run:`"),
    Case("stage-unknown", _validate("motionctx: 1\nstages: [{run: animat}]\n"), "animat"),
    Case("unknown-top-key", _validate("motionctx: 1\nstagse: []\n"), "unknown top-level key 'stagse'"),
    Case("no-schema-version", _validate("name: x\n"), "schema version must be 1"),
    Case("requires-a-string", _validate("motionctx: 1\nrequires: motionctx-wan\n"), "`requires` must be a list"),
    Case("unknown-part", _validate("motionctx: 1\nparts:\n  composer: {use: spatail}\n"), "spatail"),
    Case("with-a-list", _validate("motionctx: 1\nparts:\n  composer: {use: spatial, with: [1]}\n"), "`with:` must be"),
    Case("infinite-number", _validate("motionctx: 1\nparts:\n  x: {kind: composer, use: spatial, with: {a: .inf}}\n"),
         "is not a finite number"),
    Case("nan-number", _validate("motionctx: 1\ndescription: d\nstages: [{run: compose, with: {seed: .nan}}]\n"),
         "nan is not a finite number"),
    Case("env-not-set", _validate("motionctx: 1\noutput: ${MOTIONCTX_SURELY_UNSET_VAR}\n"), "is not set"),
    # ---- --set values
    Case("set-seed-overflow", _set("stages.0.with.seed=99999999999999999999999"), "is out of range"),
    Case("set-seed-inf", _set("stages.0.with.seed=.inf"), "inf is not a finite number"),
    Case("set-no-equals", _set("stages.0.with.seed"), "is not KEY=VALUE"),
    Case("set-deep-value", _set("stages.0.with.seed=" + "[" * 5000), "nested deeper than 64 levels"),
    Case("set-bad-index", _set("stages.7.with.seed=1"), "is not an index of a list of 1 items"),
    Case("set-into-scalar", _set("name.first=1"), "cannot set 'name.first'"),
    Case("set-unknown-input", _set("inputs.refrence=x.png"), "no input 'refrence'"),
    Case("set-output-number", _set("output=5"), "`output` must be a folder path"),
    Case("set-duplicate-key-value", _set("stages.0.with={a: 1, a: 2}"), "appears twice"),
    # ---- recipe run: inputs checked before any work, output folders
    Case("run-missing-reference", _run_with(reference=lambda d: d / "nope.png"), "compose.reference: image"),
    Case("run-reference-not-image", _run_with(reference=_file("notes.png", "just text")), "cannot read image"),
    Case("run-reference-truncated", _run_with(reference=_truncated_png), "cannot read image"),
    Case("run-reference-folder", _run_with(reference=lambda d: d), "is a folder"),
    Case("run-reference-huge", _run_with(reference=_file("huge.png", _png_header(10000, 8000))), "above the limit"),
    Case("run-driving-garbage", _run_with(driving=_file("bad.mp4", b"garbage" * 99)), "cannot read video"),
    Case("run-driving-empty", _run_with(driving=_file("empty.mp4", b"")), "cannot read video"),
    Case("run-output-is-file", _output_is(_file("taken", "x")), "is a file"),
    Case("run-output-user-files", _output_is(_user_folder), "holds files motionctx did not write (prompt.txt)"),
    # ---- pose render
    Case("render-fps-inf", _render(None, "--fps", "inf"), "--fps inf is not a frame rate"),
    Case("render-fps-nan", _render(None, "--fps", "nan"), "--fps nan is not a frame rate"),
    Case("render-fps-negative", _render(None, "--fps", "-5"), "--fps -5.0 is not a frame rate"),
    Case("render-out-txt", _render(None, out="x.txt"), "does not end in .mp4"),
    Case("render-out-folder", lambda d: [*_render(None)(d)[:3], "--out", str(d)], "does not end in .mp4"),
    Case("render-out-existing-folder", lambda d: (d / "v.mp4").mkdir() or _render(None, out="v.mp4")(d), "is a folder"),
    Case("render-strings-for-numbers", _render(_file("p.json", _pose_json([{"people": [_person("x")]}]))), "is malformed"),
    Case("render-json-nan", _render(_file("p.json", _pose_json([{"people": [_person(float("nan"))]}]))), "not finite"),
    Case("render-npz-inf", _render(_npz(_with_nan(float("inf")))), "in frame 1 of 3"),
    Case("render-npz-nan", _render(_npz(_with_nan(float("nan")))), "not finite numbers"),
    Case("render-huge-canvas", _render(_file("p.json", _pose_json([{"people": []}], canvas_height=30000,
                                                                   canvas_width=30000))), "30000x30000"),
    Case("render-canvas-a-word", _render(_file("p.json", _pose_json([{"people": []}], canvas_height="tall"))), "malformed"),
    Case("render-size-zero", _render(None, "--size", "0x10"), "must be positive"),
    Case("render-size-huge", _render(None, "--size", "30000x30000"), "above the limit"),
    Case("render-json-latin1", _render(_file("p.json", b'{"people": [], "x": "\xe9"}')), "not readable JSON"),
    Case("render-json-deep", _render(_file("p.json", "[" * 50000 + "]" * 50000)), "pose file"),
    Case("render-missing", _render(lambda d: d / "none.json"), "does not exist"),
    Case("render-npz-garbage", _render(_file("p.npz", b"PK\x03\x04 not a zip")), "is not a readable NPZ"),
    Case("render-seed-huge", _render(None, "--seed", "99999999999999999999999"), "Invalid value for '--seed'"),
    Case("render-bone-scale-nan", _render(None, "--bone-scale", "nan,1"), "must be finite numbers"),
    # ---- pose extract
    Case("extract-out-txt", lambda d: ["pose", "extract", str(_media(d)["driving"]), "--out", str(d / "p.txt"),
                                       "-e", "keypoints_file"], "does not end in .npz"),
    Case("extract-max-frames-0", lambda d: ["pose", "extract", str(_media(d)["driving"]), "--out", str(d / "p.npz"),
                                            "-e", "keypoints_file", "--max-frames", "0"], "--max-frames"),
    Case("extract-missing-video", lambda d: ["pose", "extract", str(d / "none.mp4"), "--out", str(d / "p.npz"), "-e",
                                             "keypoints_file", "--with", "path=x.npz"], "does not exist"),
    # ---- data check
    Case("check-size-multiple-0", _check(_file("m.jsonl", '{"path": "a.mp4"}\n'), "--size-multiple", "0"),
         "Invalid value for '--size-multiple'"),
    Case("check-min-frames-0", _check(_file("m.jsonl", '{"path": "a.mp4"}\n'), "--min-frames", "0"), "--min-frames"),
    Case("check-manifest-latin1", _check(_file("m.jsonl", b'{"path": "caf\xe9.mp4"}\n')), "is not UTF-8 text"),
    Case("check-manifest-random", _check(_file("m.jsonl", bytes(range(128, 256)))), "is not UTF-8 text"),
    Case("check-manifest-array-line", _check(_file("m.jsonl", "[1, 2]\n")), "line 1: expected a JSON object"),
    Case("check-manifest-deep-line", _check(_file("m.jsonl", "[" * 50000 + "]" * 50000 + "\n")), "line 1"),
    Case("check-manifest-bad-json", _check(_file("m.jsonl", '{"path": "a.mp4"}\n{oops}\n')), "line 2: not valid JSON"),
    Case("check-manifest-missing", _check(lambda d: d / "none.jsonl"), "does not exist"),
    Case("check-manifest-folder", _check(lambda d: d), "is a folder"),
    # ---- recipe export
    Case("export-zero-byte-lora", _checkpoint(b""), "is not a readable safetensors file"),
    Case("export-garbage-lora", _checkpoint(b"\xff" * 64), "is not a readable safetensors file"),
    Case("export-not-a-checkpoint", lambda d: ["recipe", "export", str(_good_recipe(d)), str(d)], "not a complete"),
    # ---- the command line itself
    Case("unknown-command", lambda d: ["animat"], "No such command 'animat'"),
    Case("unknown-option", lambda d: ["recipe", "validate", "--frobnicate", "x"], "No such option: --frobnicate"),
    Case("parts-unknown-kind", lambda d: ["parts", "composr"], "no part kind 'composr'"),
]


def _snapshot(root: Path) -> dict[str, bytes | None]:
    return {
        str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None)
        for p in sorted(root.rglob("*"))
        if not p.is_symlink()
    }


def first_error(stderr: str) -> str:
    """The first line of the message (warnings about other things, such as a broken plugin, may
    come before it)."""
    return next((line for line in stderr.splitlines() if not line.startswith("warning:")), "")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_one_clear_error(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = case.build(tmp_path)
    capsys.readouterr()
    before = _snapshot(tmp_path)
    code = run(argv)
    out, err = capsys.readouterr()
    line = first_error(err)
    assert code == 2, err
    assert line.startswith("error: ") and case.first_line in line, err
    assert err.splitlines()[err.splitlines().index(line) + 1].startswith("hint: "), err
    assert "Traceback" not in out + err and "internal error" not in err
    assert _snapshot(tmp_path) == before, "the failed command wrote or changed files"


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 60 and len({c.id for c in CASES}) == len(CASES)
