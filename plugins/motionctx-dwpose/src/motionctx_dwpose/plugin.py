"""Entry point: registers the ``dwpose`` pose estimator (no onnxruntime or OpenCV import here)."""

from __future__ import annotations

from motionctx.hookspecs import hookimpl


@hookimpl
def register_pose_estimators(register) -> None:
    from motionctx_dwpose.estimator import DWPoseEstimator

    register(DWPoseEstimator)
