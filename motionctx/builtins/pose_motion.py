"""Built-in motion source ``pose``: estimator -> clean-up -> augmentation -> OpenPose skeleton video."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from motionctx.hookspecs import hookimpl
from motionctx.parts import MotionSource, PartConfig, PartRef
from motionctx.pose.pipeline import AugmentOptions, RenderOptions, SmoothingOptions

if TYPE_CHECKING:
    import torch

    from motionctx.parts import PoseEstimator
    from motionctx.types import Image, PoseSequence, Video


class PoseMotionSource(MotionSource):
    """The driving video's poses drawn as OpenPose skeletons at the reference's size.

    Keypoints are moved from the driving frame to the reference frame with ``fit`` (the same
    geometry ``raw_video`` uses for frames: ``crop`` covers the reference keeping the aspect ratio
    and cuts the overflow, ``pad`` fits inside with margins, ``stretch`` scales each axis). With
    ``train=True`` the ``augment`` settings apply (drawn from ``rng``); otherwise
    ``align_to_reference`` can move the skeleton onto the reference character's bounding box.
    """

    name: ClassVar[str] = "pose"
    children: ClassVar[dict[str, str]] = {"estimator": "pose_estimator", "reference_estimator": "pose_estimator"}

    class Config(PartConfig):
        estimator: PartRef = Field(
            default_factory=lambda: PartRef(use="keypoints_file"),
            description="the pose estimator part, {use: NAME, with: {...}}",
        )
        reference_estimator: PartRef | None = Field(
            None, description="estimator for the reference image's pose (align_to_reference); null: use `estimator`"
        )
        augment: AugmentOptions = Field(default_factory=AugmentOptions, description="training-only augmentation")
        smoothing: SmoothingOptions = Field(default_factory=SmoothingOptions, description="temporal clean-up")
        render: RenderOptions = Field(default_factory=RenderOptions, description="what the renderer draws")
        fit: Literal["crop", "pad", "stretch"] = Field(
            "crop", description="how driving coordinates reach the reference size"
        )
        align_to_reference: bool = Field(
            False, description="at inference, map the driving skeleton's box onto the reference's estimated pose box"
        )
        align_from: Literal["clip", "first_frame"] = Field(
            "clip", description="which driving box is mapped: the whole clip's or the first frame's"
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._estimators: dict[str, PoseEstimator] = {}

    def _child(self, field: str) -> PoseEstimator:
        if field not in self._estimators:
            from motionctx.plugins import build_part

            ref: PartRef = getattr(self.config, field) or self.config.estimator
            part = build_part("pose_estimator", ref.use, ref.with_, where=f"{self.name}.{field}")
            part.ensure_loaded()
            self._estimators[field] = part
        return self._estimators[field]

    @property
    def estimator(self) -> PoseEstimator:
        """The driving-video estimator (built on first use)."""
        return self._child("estimator")

    def load(self) -> None:
        self._child("estimator")

    def reference_box(self, reference: Image) -> tuple[float, float, float, float] | None:
        """The box of the reference image's estimated pose, in reference pixels (None: nobody)."""
        from motionctx.pose.arrays import to_numpy
        from motionctx.pose.pipeline import prepare_poses
        from motionctx.pose.transform import bbox
        from motionctx.types import Video

        poses = self._child("reference_estimator").estimate(Video(reference.pixels[None].contiguous(), 1.0))
        poses = prepare_poses(poses, reference.size, threshold=self.config.render.threshold)
        return bbox(*to_numpy(poses), self.config.render.threshold)

    def prepare(
        self, driving: Video, reference: Image, *, train: bool = False, rng: torch.Generator | None = None
    ) -> Video:
        return self.prepare_from_poses(self.estimator.estimate(driving), reference, train=train, rng=rng, fps=driving.fps)

    def prepare_from_poses(
        self,
        poses: PoseSequence,
        reference: Image,
        *,
        train: bool = False,
        rng: torch.Generator | None = None,
        fps: float | None = None,
    ) -> Video:
        """What :meth:`prepare` does after estimating: fit, smooth, augment (training), align
        (inference, optional) and render. The training engine calls it with cached keypoints."""
        from motionctx.pose.pipeline import prepare_poses, render_prepared
        from motionctx.types import Video

        cfg = self.config
        box = None
        if cfg.align_to_reference and not train:
            box = self.reference_box(reference)
            if box is None:
                warnings.warn("pose: no person found in the reference image; the skeleton is not aligned", stacklevel=2)
        prepared = prepare_poses(
            poses,
            reference.size,
            fit=cfg.fit,
            smoothing=cfg.smoothing,
            augment=cfg.augment,
            train=train,
            rng=rng,
            align_box=box,
            align_frames=slice(0, 1) if cfg.align_from == "first_frame" else None,
            threshold=cfg.render.threshold,
        )
        video = render_prepared(prepared, reference.size, cfg.render)
        return Video(video.frames, fps or poses.fps)


@hookimpl
def register_motion_sources(register) -> None:
    register(PoseMotionSource)
