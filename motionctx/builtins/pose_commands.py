"""The ``motionctx pose`` commands: ``extract`` keypoints from a video, ``render`` them as skeletons."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from motionctx.errors import InputError
from motionctx.hookspecs import hookimpl

VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv")


def _size(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    try:
        h, w = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise InputError(f"--size {text!r} is not HxW", "write e.g. --size 480x832 (height x width)") from None
    if h < 1 or w < 1:
        raise InputError(f"--size {text!r} must be positive", "write e.g. --size 480x832 (height x width)")
    return h, w


def _range(text: str | None) -> tuple[float, float] | None:
    if not text:
        return None
    try:
        low, high = (float(v) for v in text.split(","))
    except ValueError:
        raise InputError(f"--bone-scale {text!r} is not LOW,HIGH", "write e.g. --bone-scale 0.8,1.2") from None
    if not (math.isfinite(low) and math.isfinite(high)):
        raise InputError(f"--bone-scale {text!r} must be finite numbers", "write e.g. --bone-scale 0.8,1.2")
    return low, high


def _fps(value: float | None) -> float | None:
    if value is not None and not (math.isfinite(value) and 0 < value <= 1000):
        raise InputError(f"--fps {value} is not a frame rate", "pass a number of frames per second, e.g. --fps 25")
    return value


def extract(
    video: Path,
    out: Path,
    estimator: str,
    with_: list[str],
    max_frames: int | None = None,
) -> dict[str, Any]:
    """Estimate the poses of ``video`` with part ``estimator`` and save them to ``out`` (NPZ)."""
    from motionctx.checks import check_output_file
    from motionctx.io import read_video
    from motionctx.plugins import build_part
    from motionctx.pose.files import save_poses
    from motionctx.recipe import apply_override

    check_output_file(out, "--out", (".npz",))
    params: dict[str, Any] = {}
    for assignment in with_:
        apply_override(params, assignment)
    part = build_part("pose_estimator", estimator, params, where=f"--estimator {estimator} --with")
    clip = read_video(video, max_frames=max_frames)
    part.ensure_loaded()
    poses = part.estimate(clip)
    save_poses(out, poses)
    return {"frames": poses.num_frames, "people": poses.num_people, "format": poses.skeleton.name, "size": poses.size}


def render(
    poses_path: Path,
    out: Path,
    *,
    size: tuple[int, int] | None = None,
    bone_scale: tuple[float, float] | None = None,
    bbox_normalize: bool = False,
    seed: int = 0,
    fit: str = "crop",
    options: dict[str, Any] | None = None,
    fps: float | None = None,
) -> Path:
    """Render a pose file as a skeleton video, with the training augmentations when asked."""
    import torch
    from pydantic import ValidationError

    from motionctx.checks import check_canvas, check_output_file, read_keypoints
    from motionctx.io import write_video
    from motionctx.pose.pipeline import AugmentOptions, RenderOptions, prepare_poses, render_prepared

    check_output_file(out, "--out", VIDEO_SUFFIXES)
    poses = read_keypoints(poses_path, size)
    target = size or poses.size
    check_canvas(target, "the skeleton video" + ("" if size else f" of pose file {str(poses_path)!r}"),
                 "pass a smaller frame size with --size HxW")  # fmt: skip
    augment = None
    if bone_scale is not None or bbox_normalize:
        try:
            augment = AugmentOptions(bone_scale=bone_scale, bbox_normalize=bbox_normalize)
        except ValidationError as exc:
            raise InputError(
                f"bad augmentation options: {exc.errors()[0]['msg']}", "write e.g. --bone-scale 0.8,1.2"
            ) from None
    render_opts = RenderOptions(**(options or {}))
    prepared = prepare_poses(
        poses, target, fit=fit, augment=augment, train=augment is not None,  # type: ignore[arg-type]
        rng=torch.Generator().manual_seed(seed), threshold=render_opts.threshold,
    )  # fmt: skip
    return write_video(out, render_prepared(prepared, target, render_opts), fps=fps)


@hookimpl
def register_commands(cli: Any) -> None:
    import typer

    from motionctx.console import handle_errors, out_console

    pose_app = typer.Typer(help="Extract poses from videos and render them as skeleton videos.", no_args_is_help=True)

    @pose_app.command("extract")
    @handle_errors
    def extract_cmd(
        video: Path = typer.Argument(..., help="the driving video"),
        out: Path = typer.Option(..., "--out", "-o", help="where to write the poses (.npz)"),
        estimator: str = typer.Option(
            ..., "--estimator", "-e", help="pose estimator part (see `motionctx parts pose_estimator`)"
        ),
        with_: list[str] = typer.Option([], "--with", help="estimator parameter KEY=VALUE (repeatable)"),
        max_frames: int | None = typer.Option(None, "--max-frames", min=1, help="only the first N frames"),
    ) -> None:
        """Estimate the poses in VIDEO and save them as NPZ."""
        info = extract(video, out, estimator, with_, max_frames)
        h, w = info["size"]
        out_console.print(f"{out}: {info['frames']} frames, {info['people']} people, {info['format']}, {h}x{w}")

    @pose_app.command("render")
    @handle_errors
    def render_cmd(
        poses: Path = typer.Argument(..., help="poses: .npz from `pose extract`, OpenPose .json, or a folder of .json"),
        out: Path = typer.Option(..., "--out", "-o", help="where to write the skeleton video (.mp4)"),
        size: str | None = typer.Option(None, "--size", help="output HxW (default: the poses' frame size)"),
        fit: str = typer.Option("crop", "--fit", help="how poses reach --size: crop, pad or stretch"),
        bone_scale: str | None = typer.Option(None, "--bone-scale", help="random bone-length factors LOW,HIGH"),
        bbox_normalize: bool = typer.Option(False, "--bbox-normalize", help="map the clip's box onto the centre box"),
        seed: int = typer.Option(0, "--seed", min=0, max=2**63 - 1, help="seed for the random augmentation"),
        hands: bool = typer.Option(True, "--hands/--no-hands", help="draw the hands"),
        face: bool = typer.Option(True, "--face/--no-face", help="draw the face"),
        confidence_colors: bool = typer.Option(False, "--confidence-colors", help="scale colours by score"),
        fps: float | None = typer.Option(None, "--fps", help="frame rate (default: the poses')"),
    ) -> None:
        """Render POSES as an OpenPose skeleton video."""
        if fit not in ("crop", "pad", "stretch"):
            raise InputError(f"--fit {fit!r} is not one of crop, pad, stretch", "pass --fit crop, pad or stretch")
        path = render(
            poses, out, size=_size(size), bone_scale=_range(bone_scale), bbox_normalize=bbox_normalize, seed=seed,
            fit=fit, options={"hands": hands, "face": face, "confidence_colors": confidence_colors}, fps=_fps(fps),
        )  # fmt: skip
        out_console.print(f"wrote {path}")

    cli.add_typer(pose_app, name="pose")
