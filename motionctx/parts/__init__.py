"""Abstract interfaces, one per part kind (DESIGN section 4)."""

from motionctx.parts.backbone import Backbone
from motionctx.parts.base import MissingFile, Part, PartConfig, PartRef
from motionctx.parts.composer import Composer
from motionctx.parts.motion_source import MotionSource
from motionctx.parts.pose_estimator import PoseEstimator
from motionctx.parts.quality_filter import QualityFilter
from motionctx.parts.scorer import Scorer
from motionctx.parts.stage import Stage, StageResult
from motionctx.parts.text_guider import TextGuider

#: kind name -> interface class
KINDS: dict[str, type[Part]] = {
    "backbone": Backbone,
    "motion_source": MotionSource,
    "pose_estimator": PoseEstimator,
    "composer": Composer,
    "text_guider": TextGuider,
    "quality_filter": QualityFilter,
    "scorer": Scorer,
    "stage": Stage,
}

__all__ = [
    "KINDS",
    "Backbone",
    "Composer",
    "MissingFile",
    "MotionSource",
    "Part",
    "PartConfig",
    "PartRef",
    "PoseEstimator",
    "QualityFilter",
    "Scorer",
    "Stage",
    "StageResult",
    "TextGuider",
]
