"""``motionctx animate REFERENCE DRIVING``: any photo and video through the default recipe (the
bundled toy model, MediaPipe poses) on the CPU, and the real-recipe route up to its weights check.

The person is scikit-image's public-domain astronaut photo; the "dance" is a crop window sliding
right and down over it, so the astronaut moves left and up in the clip.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from motionctx.io import read_video, write_video
from motionctx.types import Video

from .conftest import REPO

pytest.importorskip("mediapipe")
skimage_data = pytest.importorskip("skimage.data")

FRAMES = 17
#: run a command and print the peak memory of it (and its children) in KB
WRAP = (
    "import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
    "print('PEAK_KB', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(r.returncode)"
)


def _cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The real console command in a subprocess, wrapped to measure its peak memory."""
    full = {**os.environ, "COLUMNS": "200", **(env or {})}
    cmd = [sys.executable, "-c", WRAP, sys.executable, "-m", "motionctx.cli", *args]
    return subprocess.run(cmd, check=False, capture_output=True, text=True, env=full, cwd=cwd or REPO, timeout=600)


def _peak_gb(result: subprocess.CompletedProcess[str]) -> float:
    line = next(x for x in result.stdout.splitlines() if x.startswith("PEAK_KB"))
    return int(line.split()[1]) / 2**20


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from PIL import Image as PILImage

    from motionctx_toy import write_toy_assets

    d = tmp_path_factory.mktemp("media")
    photo = skimage_data.astronaut()  # 512x512 RGB
    PILImage.fromarray(photo).save(d / "photo.png")
    frames = np.stack([photo[4 * t : 4 * t + 448, 8 * t : 8 * t + 352] for t in range(FRAMES)])
    write_video(d / "dance.mp4", Video.from_uint8(frames, fps=8))
    toy = write_toy_assets(d / "toy")
    return {"photo": d / "photo.png", "dance": d / "dance.mp4", "toy": toy["reference"], "dir": d}


@pytest.fixture(scope="module")
def photo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    """docs/cli.md's example, run as written in an empty folder: the photo, the dance made from
    it, then ``motionctx animate photo.png dance.mp4 -o outputs/astronaut``."""
    import re

    doc = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    script = re.search(r"## Animate\n\n```bash\n(.*?)```", doc, re.DOTALL).group(1)
    assert "motionctx animate photo.png dance.mp4" in script
    d = tmp_path_factory.mktemp("doc_example")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    cmd = [sys.executable, "-c", WRAP, "bash", "-e", "-c", script]
    result = subprocess.run(cmd, check=False, capture_output=True, text=True, env=env, cwd=d, timeout=600)
    return result, d / "outputs" / "astronaut"


@pytest.fixture(scope="module")
def toy_run(media: dict[str, Path]) -> tuple[subprocess.CompletedProcess[str], Path]:
    out = media["dir"] / "toy_out"
    return _cli("animate", str(media["toy"]), str(media["dance"]), "-o", str(out), "--no-progress"), out


# ------------------------------------------------------------------ a person's photo and dance


def test_a_photo_and_a_dance_run_on_cpu_with_default_settings(photo_run) -> None:
    """The documented example: exit 0, under 4 GB at the peak, every output written."""
    result, out = photo_run
    assert result.returncode == 0, result.stderr[-2000:]
    assert _peak_gb(result) < 4.0
    for name in ("out.mp4", "preview.mp4", "contact_sheet.png", "run.json"):
        assert (out / name).is_file(), name
    video = read_video(out / "out.mp4")
    assert video.num_frames == FRAMES and video.size == (32, 32)  # the toy model's trained size
    # the toy model has no sidecar for these media: the prompt says nothing about a toy character
    assert (out / "prompt.txt").read_text().strip() == "A small character moves."
    assert "warning: toy_caption: no usable driving sidecar" in result.stderr
    assert "Traceback" not in result.stderr


# ------------------------------------------------------------------ a toy character and a dance


def _track(frames: torch.Tensor, background: np.ndarray) -> np.ndarray:
    """Per frame: the share of pixels far from the background colours, and their centroid (x, y)."""
    px = frames.permute(0, 2, 3, 1).numpy().astype(np.float64)
    far = np.linalg.norm(px[..., None, :] - background[None, None, None], axis=-1).min(axis=-1) > 0.15
    rows = []
    for m in far:
        ys, xs = np.nonzero(m)
        rows.append((m.mean(), xs.mean() if len(xs) else np.nan, ys.mean() if len(ys) else np.nan))
    return np.array(rows)


def _skeleton_track(motion: torch.Tensor) -> np.ndarray:
    return _track(motion, np.zeros((1, 3)))


def _follows(out: np.ndarray, skeleton: np.ndarray) -> dict[str, float]:
    """How the output's foreground moves against the skeleton (frames after the first, which is
    the reference itself): mean foreground share, correlation of the centroids' x, and the x
    displacement between the first and last quarter of the clip."""
    o, s = out[1:], skeleton[1:]
    q = max(1, len(o) // 4)

    def shift(a: np.ndarray) -> float:
        return float(np.nanmean(a[-q:, 1]) - np.nanmean(a[:q, 1]))

    ok = ~np.isnan(o[:, 1]) & ~np.isnan(s[:, 1])
    corr = float(np.corrcoef(o[ok, 1], s[ok, 1])[0, 1]) if ok.sum() > 2 and o[ok, 1].std() > 0 else 0.0
    return {"share": float(o[:, 0].mean()), "corr": corr, "out_dx": shift(o), "skeleton_dx": shift(s)}


def _passes(m: dict[str, float]) -> bool:
    same_way = np.sign(m["out_dx"]) == np.sign(m["skeleton_dx"]) and abs(m["out_dx"]) >= 0.5 * abs(m["skeleton_dx"])
    return m["share"] <= 0.5 and m["corr"] >= 0.5 and bool(same_way)


@pytest.fixture(scope="module")
def toy_motion(media: dict[str, Path]) -> dict[str, object]:
    """The default recipe's motion part on the toy reference and the dance, built as the command
    builds it: the skeleton video, the driving poses and the reference's foreground box."""
    from motionctx.engines.inputs import fit_inputs
    from motionctx.oneline import animate_recipe
    from motionctx.pipeline import Pipeline
    from motionctx.pose.foreground import foreground_box
    from motionctx.types import Geometry

    recipe = animate_recipe(media["toy"], media["dance"])
    part = Pipeline(recipe, progress=False).part("motion")
    fitted = fit_inputs(media["toy"], media["dance"], Geometry(size_multiple=4), size=(32, 32))
    return {
        "part": part,
        "poses": part.estimator.estimate(fitted.driving),
        "motion": part.prepare(fitted.driving, fitted.reference).frames,
        "box": foreground_box(fitted.reference),
        "reference": fitted.reference,
    }


def test_the_skeleton_comes_from_mediapipe_and_is_mapped_onto_the_toy_characters_box(toy_motion) -> None:
    assert toy_motion["part"].estimator.name == "mediapipe"
    assert toy_motion["poses"].num_people == 1 and bool((toy_motion["poses"].scores[:, 0, :11] > 0.5).any())
    drawn = toy_motion["motion"].amax(dim=(0, 1)) > 0.2  # every pixel the skeleton touches in the clip
    ys, xs = torch.nonzero(drawn, as_tuple=True)
    x0, y0, x1, y1 = toy_motion["box"]
    stroke = 2  # joints are discs: the drawing reaches past the joints' box by about this much
    assert x0 - stroke <= int(xs.min()) and int(xs.max()) + 1 <= x1 + stroke
    assert y0 - stroke <= int(ys.min()) and int(ys.max()) + 1 <= y1 + stroke
    # the clip's box fills the character's box in at least one direction (one scale, aspect kept)
    fill = max((int(xs.max()) + 1 - int(xs.min())) / (x1 - x0), (int(ys.max()) + 1 - int(ys.min())) / (y1 - y0))
    assert fill >= 0.8


def test_the_skeleton_moves_the_way_the_dancer_moves(toy_motion) -> None:
    track = _skeleton_track(toy_motion["motion"])
    assert track[-4:, 1].mean() < track[:4, 1].mean() - 1  # the crop slides right: the dancer moves left
    assert track[-4:, 2].mean() < track[:4, 2].mean()  # and down: the dancer moves up


def test_the_command_runs_on_the_toy_character(toy_run) -> None:
    result, out = toy_run
    assert result.returncode == 0, result.stderr[-2000:]
    assert _peak_gb(result) < 4.0
    assert read_video(out / "out.mp4").size == (32, 32)
    assert "not aligned" not in result.stderr  # the character's box was found


def test_the_follow_measure_passes_a_character_moved_with_the_skeleton_and_fails_a_copy(toy_motion) -> None:
    """The measure of the next test, on made-up outputs: the reference shifted as the skeleton
    moves passes; the reference copied into every frame does not."""
    from motionctx.pose.foreground import background_colours

    ref = toy_motion["reference"].pixels
    background = background_colours(ref.permute(1, 2, 0).numpy().astype(np.float64))
    skeleton = _skeleton_track(toy_motion["motion"])
    dx = np.nan_to_num(skeleton[:, 1] - skeleton[0, 1]).round().astype(int)
    moved = torch.stack([torch.roll(ref, int(d), dims=-1) for d in dx])
    assert _passes(_follows(_track(moved, background), skeleton))
    copied = ref[None].expand(len(dx), -1, -1, -1)
    assert not _passes(_follows(_track(copied, background), skeleton))


# Measured with the bundled pose_full model (width 256, 5000 steps with the motion curriculum):
# foreground share 0.16, centroid x correlation 0.99 with the skeleton, x shift -3.2 px against the
# skeleton's -2.9 px (the width-128 model: 0.17, 0.96, -2.5 px; the one before it drew a blur that
# did not move: share 0.06, correlation -0.03).
def test_the_toy_characters_foreground_moves_with_the_skeleton(toy_run, toy_motion) -> None:
    from motionctx.pose.foreground import background_colours

    result, out = toy_run
    assert result.returncode == 0
    ref = toy_motion["reference"].pixels
    background = background_colours(ref.permute(1, 2, 0).numpy().astype(np.float64))
    measured = _follows(_track(read_video(out / "out.mp4").frames, background), _skeleton_track(toy_motion["motion"]))
    assert _passes(measured), measured


# ------------------------------------------------------------------ the real-recipe route and bad input


def test_the_wan_recipe_stops_at_its_missing_weights_before_any_video_is_decoded(media: dict[str, Path]) -> None:
    not_a_video = media["dir"] / "broken.mp4"
    not_a_video.write_bytes(b"\x00" * 4000)  # decoding it would fail: the weights check must come first
    env = {"WAN_I2V_PATH": "/nowhere/wan", "POSE_M2_LORA": "/nowhere/pose_m2.safetensors", "DWPOSE_DIR": "/nowhere/dw"}
    result = _cli("animate", str(media["photo"]), str(not_a_video), "--recipe", "recipes/pose_m2.yaml",
                  "-o", str(media["dir"] / "wan_out"), env=env)  # fmt: skip
    assert result.returncode == 2
    first = result.stderr.strip().splitlines()[0]
    assert first.startswith("error: 4 files the recipe needs do not exist")
    for path in (
        "/nowhere/wan",
        "/nowhere/pose_m2.safetensors",
        "/nowhere/dw/yolox_l.onnx",
        "/nowhere/dw/dw-ll_ucoco_384.onnx",
    ):
        assert path in first
    assert "huggingface-cli download" in result.stderr and "broken.mp4" not in result.stderr
    assert not (media["dir"] / "wan_out").exists()


@pytest.mark.parametrize(
    ("case", "expect"),
    [
        ("missing-reference", "does not exist"),
        ("driving-not-a-video", "cannot read video"),
        ("recipe-without-animate", "needs a recipe with exactly one animate stage"),
        ("missing-recipe", "does not exist"),
        ("too-big-for-memory", "MB of memory, more than a run may take here (80% of the 40 MB free)"),
    ],
)
def test_bad_input_is_one_clear_message_and_exit_2(
    media: dict[str, Path], tmp_path: Path, case: str, expect: str
) -> None:
    photo, dance = str(media["photo"]), str(media["dance"])
    text = tmp_path / "notes.mp4"
    text.write_text("not a video")
    args = {
        "missing-reference": [str(tmp_path / "me.png"), dance],
        "driving-not-a-video": [photo, str(text)],
        "recipe-without-animate": [photo, dance, "--recipe", str(REPO / "recipes" / "example.yaml")],
        "missing-recipe": [photo, dance, "--recipe", str(tmp_path / "none.yaml")],
        "too-big-for-memory": [photo, dance],
    }[case]
    env = {"MOTIONCTX_MEMORY_LIMIT": "40M"} if case == "too-big-for-memory" else {}
    result = _cli("animate", *args, "-o", str(tmp_path / "out"), "--no-progress", env=env)
    assert result.returncode == 2, result.stderr[-1500:]
    errors = [x for x in result.stderr.splitlines() if x.startswith("error:")]
    assert len(errors) == 1 and expect in errors[0], result.stderr
    assert "hint: " in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_video_with_nobody_in_it_still_gives_an_output_and_says_so(media: dict[str, Path], tmp_path: Path) -> None:
    empty = write_video(tmp_path / "empty.mp4", Video(torch.full((5, 3, 64, 64), 0.5), 8.0))
    result = _cli("animate", str(media["photo"]), str(empty), "-o", str(tmp_path / "out"), "--no-progress")
    assert result.returncode == 0, result.stderr[-1500:]
    assert "warning: mediapipe: no person found in 5 of 5 frames" in result.stderr
    assert read_video(tmp_path / "out" / "out.mp4").num_frames == 5
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    assert run["stages"][0]["name"] == "animate"
