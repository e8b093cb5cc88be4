"""MediaPipe Holistic whole-body pose estimation for motionctx (part ``mediapipe``, kind ``pose_estimator``)."""

__version__ = "0.1.0"
