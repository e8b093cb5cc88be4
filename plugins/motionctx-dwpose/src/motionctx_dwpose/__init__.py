"""DWPose whole-body pose estimation for motionctx (part ``dwpose``, kind ``pose_estimator``)."""

__version__ = "0.1.0"
