"""Built-in motion source ``pose``: estimator -> clean-up -> augmentation -> OpenPose skeleton video."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from motionctx.errors import RecipeError
from motionctx.hookspecs import hookimpl
from motionctx.parts import MissingFile, MotionSource, PartConfig, PartRef
from motionctx.pose.pipeline import AugmentOptions, RenderOptions, SmoothingOptions

if TYPE_CHECKING:
    import torch

    from motionctx.parts import PoseEstimator
    from motionctx.types import Image, PoseSequence, Video


#: The smallest reference side (pixels) on which the reference's pose is estimated for alignment.
MIN_POSE_SIDE = 64


class PoseMotionSource(MotionSource):
    """The driving video's poses drawn as OpenPose skeletons at the reference's size.

    Keypoints are moved from the driving frame to the reference frame with ``fit`` (the same
    geometry ``raw_video`` uses for frames: ``crop`` covers the reference keeping the aspect ratio
    and cuts the overflow, ``pad`` fits inside with margins, ``stretch`` scales each axis). With
    ``train=True`` the ``augment`` settings apply (drawn from ``rng``); otherwise
    ``align_to_reference`` can move the skeleton onto the reference character's bounding box: the
    box of the reference's own pose when an estimator finds a person in it, else (``align_box``)
    the box of its foreground against a plain background (:mod:`motionctx.pose.foreground`).
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
            False, description="at inference, map the driving skeleton's box onto the reference character's box"
        )
        align_from: Literal["clip", "first_frame"] = Field(
            "clip", description="which driving box is mapped: the whole clip's or the first frame's"
        )
        align_box: Literal["auto", "pose", "foreground"] = Field(
            "auto", description="the reference character's box: its estimated pose's, its foreground's (against "
            "a plain border colour), or auto (the pose's when a person is found, else the foreground's)"
        )
        align_inset: float = Field(
            0.07, ge=0.0, lt=0.5, description="a foreground box is shrunk by this fraction of its width and height on "
            "each side first: joints lie inside the silhouette (about 7% on the toy world's characters)"
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._estimators: dict[str, PoseEstimator] = {}

    def _child(self, field: str) -> PoseEstimator:
        if field == "reference_estimator" and self.config.reference_estimator is None:
            field = "estimator"  # the same part serves both
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

    def missing_files(self) -> list[MissingFile]:
        """The files of the driving and reference estimators (built, not loaded)."""
        from motionctx.plugins import build_part

        out = []
        for field in ("estimator", "reference_estimator"):
            ref: PartRef | None = getattr(self.config, field)
            if ref is not None:
                part = build_part("pose_estimator", ref.use, ref.with_, where=f"{self.name}.{field}")
                for m in (MissingFile(*x) for x in part.missing_files()):
                    out.append(m._replace(what=f"{field} {m.what}"))
        return out

    def reference_box(self, reference: Image) -> tuple[float, float, float, float] | None:
        """The reference character's box in reference pixels, as ``align_box`` says (None: none found)."""
        cfg = self.config
        if cfg.align_box != "foreground":
            estimator = self._child("reference_estimator")
            # a driving estimator that reads a file knows nothing of the reference (one given as
            # reference_estimator, a pose file of the reference say, is used as it is); and below
            # MIN_POSE_SIDE pixels estimators guess (MediaPipe: a confident, wrong pose at 32 px)
            looks = estimator.reads_pixels and min(reference.size) >= MIN_POSE_SIDE
            if looks or cfg.reference_estimator is not None:
                box = self._pose_box(estimator, reference)
                if box is not None or cfg.align_box == "pose":
                    return box
            elif cfg.align_box == "pose":
                if not estimator.reads_pixels:
                    raise RecipeError(
                        f"pose: align_box is 'pose' but estimator {estimator.name!r} does not look at images",
                        "set reference_estimator (e.g. {use: mediapipe}), or align_box: foreground",
                    )
                return None
        return self._foreground_box(reference)

    def _pose_box(self, estimator: PoseEstimator, reference: Image) -> tuple[float, float, float, float] | None:
        from motionctx.pose.arrays import to_numpy
        from motionctx.pose.pipeline import parts_box, prepare_poses
        from motionctx.pose.transform import bbox
        from motionctx.types import Video

        threshold = self.config.render.threshold
        with warnings.catch_warnings():  # "no person found" is expected here: the fallback says it
            warnings.simplefilter("ignore")
            poses = estimator.estimate(Video(reference.pixels[None].contiguous(), 1.0))
        poses = prepare_poses(poses, reference.size, threshold=threshold)
        parts = self._drawn_parts()
        box = parts_box(poses, parts, threshold, None) if parts else None
        return box or bbox(*to_numpy(poses), threshold)

    def _foreground_box(self, reference: Image) -> tuple[float, float, float, float] | None:
        from motionctx.pose.foreground import foreground_box

        box = foreground_box(reference)
        if box is None:
            return None
        x0, y0, x1, y1 = box
        dx, dy = (x1 - x0) * self.config.align_inset, (y1 - y0) * self.config.align_inset
        return x0 + dx, y0 + dy, x1 - dx, y1 - dy

    def _drawn_parts(self) -> tuple[str, ...]:
        r = self.config.render
        return (("body",) if r.body else ()) + (("face",) if r.face else ()) + (
            ("left_hand", "right_hand") if r.hands else ()
        )

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
                warnings.warn(
                    "pose: no person found in the reference image and no plain background around one; "
                    "the skeleton is not aligned to it", stacklevel=2,
                )
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
            align_parts=self._drawn_parts() or None,
            threshold=cfg.render.threshold,
        )
        video = render_prepared(prepared, reference.size, cfg.render)
        return Video(video.frames, fps or poses.fps)


@hookimpl
def register_motion_sources(register) -> None:
    register(PoseMotionSource)
