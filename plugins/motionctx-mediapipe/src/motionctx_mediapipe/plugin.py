"""Entry point: registers the ``mediapipe`` pose estimator (no mediapipe import here)."""

from __future__ import annotations

from motionctx.hookspecs import hookimpl


@hookimpl
def register_pose_estimators(register) -> None:
    from motionctx_mediapipe.estimator import MediaPipeHolisticEstimator

    register(MediaPipeHolisticEstimator)
