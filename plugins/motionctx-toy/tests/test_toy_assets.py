"""write_toy_assets: a demo cross-identity case on disk, readable by the rest of motionctx."""

from __future__ import annotations

from pathlib import Path

import torch

from motionctx.io import read_image, read_video
from motionctx.plugins import build_part
from motionctx.pose import load_poses
from motionctx_toy import write_toy_assets
from motionctx_toy.assets import read_sidecar
from motionctx_toy.world import world_preset


def test_write_toy_assets(tmp_path: Path) -> None:
    seed = 1_000_123
    paths = write_toy_assets(tmp_path / "demo", seed, frames=9)
    for key in ("reference", "driving", "target", "driving_poses", "reference_sidecar", "driving_sidecar"):
        assert paths[key].is_file(), key
    case = world_preset("simple", "heldout", frames=9).cross_identity_case(seed)
    ref = read_image(paths["reference"])
    assert ref.size == (32, 32)
    assert (ref.pixels - case.reference.pixels).abs().max() <= 1 / 255 + 1e-6  # PNG is lossless
    drive = read_video(paths["driving"])
    assert drive.num_frames == 9 and drive.size == (32, 32)
    assert read_sidecar(paths["driving"])["spec"]["motions"][0]["front"] is True
    assert (drive.frames - case.driving.video.frames).abs().mean() < 0.03
    poses = load_poses(paths["driving_poses"])
    torch.testing.assert_close(poses.keypoints, case.driving.poses.keypoints)
    assert read_sidecar(paths["driving"])["caption"] == case.driving.caption

    truth = build_part("pose_estimator", "toy_truth", {"sidecar": str(paths["driving_sidecar"])})
    assert torch.equal(truth.estimate(drive).keypoints, case.driving.poses.keypoints)
    guider = build_part("text_guider", "toy_caption", {
        "driving_sidecar": str(paths["driving_sidecar"]), "reference_sidecar": str(paths["reference_sidecar"]),
    })
    assert guider.describe(ref, drive) == case.target.caption  # identity A doing motion M
