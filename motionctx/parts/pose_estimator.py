"""Pose estimator: keypoints for every person in every frame of a video."""

from __future__ import annotations

from abc import abstractmethod
from typing import TYPE_CHECKING, ClassVar

from motionctx.parts.base import Part

if TYPE_CHECKING:
    from motionctx.types import PoseSequence, Video


class PoseEstimator(Part):
    """``estimate`` returns a :class:`~motionctx.types.PoseSequence` in the video's pixel
    coordinates. A video with nobody in it gives ``P = 0`` and a warning, not an error."""

    kind: ClassVar[str] = "pose_estimator"
    #: Name of the keypoint format it returns (a Skeleton name).
    keypoint_format: ClassVar[str] = ""
    #: False when the keypoints do not come from the pixels it is given (read from a file, say):
    #: such an estimator cannot find a person in a reference image.
    reads_pixels: ClassVar[bool] = True

    @abstractmethod
    def estimate(self, video: Video) -> PoseSequence:
        """Keypoints for ``video``."""
