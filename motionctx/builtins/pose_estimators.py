"""Built-in pose estimators (``keypoints_file``)."""

from __future__ import annotations

from motionctx.hookspecs import hookimpl


@hookimpl
def register_pose_estimators(register) -> None:
    """Registered parts are added as the pose package lands."""
