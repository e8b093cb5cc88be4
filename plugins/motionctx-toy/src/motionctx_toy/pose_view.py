"""A clip shown next to its own pose skeleton: the kind of pose-estimation visualisation video that
is common on the web, so a real pretrained video model has seen many of them."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from motionctx.types import Video
    from motionctx_toy.clip import ToyClip

#: What the caption adds for such a clip.
POSE_VIEW_NOTE = "On the right, its pose skeleton moves along with it."


def pose_view(clip: ToyClip, line_scale: float = 0.25) -> Video:
    """``clip`` on the left and its keypoints rendered as an OpenPose skeleton (body only, strokes
    ``line_scale`` times ControlNet's widths) on the right: twice as wide, same frames."""
    import torch

    from motionctx.pose.pipeline import prepare_poses
    from motionctx.pose.render import render_poses
    from motionctx.types import Video

    h, w = clip.video.size
    poses = prepare_poses(clip.poses, (h, w))
    skeleton = render_poses(poses, size=(h, w), hands=False, face=False, scale=line_scale)
    right = torch.from_numpy(skeleton).permute(0, 3, 1, 2).float() / 255.0
    return Video(torch.cat([clip.video.frames, right], dim=3).contiguous(), clip.video.fps)
