"""``motionctx pose extract`` and ``motionctx pose render`` through the real CLI app."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import typer
from typer.testing import CliRunner

from motionctx.io import read_video, write_video
from motionctx.pose import load_poses, save_poses
from motionctx.testing import random_video

runner = CliRunner()


@pytest.fixture
def app(pose_plugins) -> typer.Typer:
    from motionctx.cli import create_app

    return create_app()


@pytest.fixture
def clip(tmp_path: Path, make_poses) -> dict[str, Path]:
    video = write_video(tmp_path / "drive.mp4", random_video(6, 48, 64, fps=8.0))
    poses = save_poses(tmp_path / "given.npz", make_poses(frames=6, people=2, size=(48, 64)))
    return {"video": video, "poses": poses}


def test_extract_with_keypoints_file(app, clip, tmp_path: Path) -> None:
    out = tmp_path / "out" / "poses.npz"
    args = [
        "pose",
        "extract",
        str(clip["video"]),
        "--out",
        str(out),
        "--estimator",
        "keypoints_file",
        "--with",
        f"path={clip['poses']}",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "6 frames, 2 people, coco_wholebody_133, 48x64" in result.output
    got, given = load_poses(out), load_poses(clip["poses"])
    assert torch.equal(got.keypoints, given.keypoints) and got.fps == pytest.approx(8.0)


def test_render_with_augmentation_is_seeded(app, clip, tmp_path: Path) -> None:
    outs = []
    for name, seed in (("a.mp4", 3), ("b.mp4", 3), ("c.mp4", 4)):
        args = ["pose", "render", str(clip["poses"]), "--out", str(tmp_path / name), "--size", "32x48"]
        result = runner.invoke(app, [*args, "--bone-scale", "0.8,1.2", "--bbox-normalize", "--seed", str(seed)])
        assert result.exit_code == 0, result.output
        outs.append(read_video(tmp_path / name))
    assert outs[0].num_frames == 6 and outs[0].size == (32, 48)
    # the same seed draws the same skeleton; compared loosely because libx264 is not byte-stable
    # at every size (identical frames at 32x48 sometimes encode differently)
    assert (outs[0].frames - outs[1].frames).abs().mean() < 0.005
    assert (outs[0].frames - outs[2].frames).abs().mean() > 0.02
    plain = runner.invoke(app, ["pose", "render", str(clip["poses"]), "--out", str(tmp_path / "p.mp4"), "--no-face"])
    assert plain.exit_code == 0 and read_video(tmp_path / "p.mp4").size == (48, 64)


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        (["--size", "big"], "is not HxW"),
        (["--bone-scale", "1.2"], "is not LOW,HIGH"),
        (["--bone-scale", "1.2,0.8"], "bad augmentation options"),
        (["--fit", "zoom"], "crop, pad, stretch"),
    ],
)
def test_render_option_errors(app, clip, tmp_path: Path, extra: list[str], match: str) -> None:
    result = runner.invoke(app, ["pose", "render", str(clip["poses"]), "--out", str(tmp_path / "x.mp4"), *extra])
    assert result.exit_code == 2 and match in result.output
    assert not (tmp_path / "x.mp4").exists()


def test_extract_errors_are_clear(app, clip, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["pose", "extract", str(clip["video"]), "--out", str(tmp_path / "p.npz"), "--estimator", "keypoint_file"]
    )
    assert result.exit_code == 2 and "keypoints_file" in result.output
    result = runner.invoke(
        app, ["pose", "extract", str(clip["video"]), "--out", str(tmp_path / "p.npz"), "-e", "keypoints_file"]
    )
    assert result.exit_code == 2 and "path" in result.output


def test_sub_app_on_a_bare_typer(clip, tmp_path: Path) -> None:
    """The hook works on any typer app (what a plugin author gets)."""
    from motionctx.builtins.pose_commands import register_commands

    cli = typer.Typer()

    @cli.callback()
    def _root() -> None:
        """root"""

    register_commands(cli)
    result = runner.invoke(cli, ["pose", "render", str(clip["poses"]), "--out", str(tmp_path / "s.mp4")])
    assert result.exit_code == 0, result.output and (tmp_path / "s.mp4").is_file()
