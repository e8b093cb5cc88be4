"""Built-in scorers: ground truth, weight-free measures and motion agreement.

- ``ground_truth`` (cases with a target): PSNR, SSIM and, when the case has a background or a
  target mask, silhouette IoU;
- ``temporal_flicker``: frame-to-frame change where nothing moves;
- ``motion_smoothness``: how well optical flow predicts each frame from its neighbours;
- ``identity_colour``: how much of the reference's colours the output keeps;
- ``motion_agreement``: the output's pose against the driving clip's, each in its own box.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from pydantic import Field

from motionctx.hookspecs import hookimpl
from motionctx.metrics import image as img
from motionctx.parts import PartConfig, PartRef, Scorer

if TYPE_CHECKING:
    import torch

    from motionctx.engines.evaluation.case import EvalCase
    from motionctx.parts import PoseEstimator
    from motionctx.types import Video


class GroundTruthScorer(Scorer):
    """PSNR and SSIM against the case's target and, when the case has a background (or a target
    mask), the IoU of the silhouettes segmented against it."""

    name: ClassVar[str] = "ground_truth"
    metrics: ClassVar[dict[str, str]] = {"psnr": "higher", "ssim": "higher", "silhouette_iou": "higher"}
    needs: ClassVar[tuple[str, ...]] = ("target",)

    class Config(PartConfig):
        threshold: float = Field(img.FOREGROUND_THRESHOLD, gt=0, description="colour distance from the background "
                                 "above which a pixel is foreground")
        skip_first: bool = Field(False, description="leave out frame 1 (where the reference was given to the model)")

    def score(self, output: Video, case: EvalCase) -> dict[str, float]:
        assert case.target is not None
        first = 1 if self.config.skip_first and output.num_frames > 1 else 0
        pred, target = output.frames[first:], case.target.frames[first : output.num_frames]
        out = {"psnr": img.psnr(pred, target), "ssim": img.ssim(pred, target)}
        if case.background is not None or case.target_mask is not None:
            bg = case.background.pixels if case.background is not None else None
            mask = (case.target_mask[first : output.num_frames] if case.target_mask is not None
                    else img.foreground_mask(target, bg, self.config.threshold))
            if bg is None:  # a mask but no background: the output's silhouette cannot be segmented
                return out
            out["silhouette_iou"] = img.silhouette_iou(pred, mask, bg, self.config.threshold)
        return out


class TemporalFlickerScorer(Scorer):
    """Mean frame-to-frame change (0-1) of the pixels that stay still over the clip: lower is
    steadier. A still pixel spans less than ``motion_threshold`` in every colour channel."""

    name: ClassVar[str] = "temporal_flicker"
    metrics: ClassVar[dict[str, str]] = {"flicker": "lower"}

    class Config(PartConfig):
        motion_threshold: float = Field(0.15, gt=0, le=1, description="colour span above which a pixel moves")

    def score(self, output: Video, case: EvalCase) -> dict[str, float]:
        from motionctx.metrics.temporal import static_flicker

        return {"flicker": static_flicker(output, self.config.motion_threshold)}


class MotionSmoothnessScorer(Scorer):
    """Frame interpolation error: each middle frame predicted from its two neighbours along
    OpenCV optical flow, mean absolute error (0-1); lower is smoother. A still clip scores 0, so
    read it beside motion agreement."""

    name: ClassVar[str] = "motion_smoothness"
    metrics: ClassVar[dict[str, str]] = {"interpolation_error": "lower"}

    class Config(PartConfig):
        min_side: int = Field(64, ge=8, le=1024, description="smaller frames are enlarged to this side for the flow")

    def score(self, output: Video, case: EvalCase) -> dict[str, float]:
        from motionctx.metrics.temporal import interpolation_error

        if output.num_frames < 3:
            return {}
        return {"interpolation_error": interpolation_error(output, self.config.min_side)}


class IdentityColourScorer(Scorer):
    """Colour agreement with the reference: for each output frame, the colour distance
    (:func:`motionctx.metrics.image.colour_chamfer`, RGB units, lower is closer) between its
    pixels and the reference's, averaged over frames. With a known background only the
    foregrounds are compared (the character, not the scenery)."""

    name: ClassVar[str] = "identity_colour"
    metrics: ClassVar[dict[str, str]] = {"colour_distance": "lower"}

    class Config(PartConfig):
        levels: int = Field(16, ge=2, le=64, description="colour levels per channel the pixels are rounded to")
        threshold: float = Field(img.FOREGROUND_THRESHOLD, gt=0, description="foreground colour distance (with a background)")

    def _pixels(self, frame: torch.Tensor, case: EvalCase) -> torch.Tensor:
        """``frame [3, H, W]``'s foreground pixels ``[N, 3]`` (all of them without a background)."""
        flat = frame.permute(1, 2, 0).reshape(-1, 3)
        if case.background is None:
            return flat
        mask = img.foreground_mask(frame, case.background.pixels, self.config.threshold)[0, 0].flatten()
        return flat[mask > 0.5]

    def score(self, output: Video, case: EvalCase) -> dict[str, float]:
        ref = self._pixels(case.reference.pixels, case)
        dists = [img.colour_chamfer(self._pixels(f, case), ref, self.config.levels) for f in output.frames]
        return {"colour_distance": sum(dists) / len(dists)}


class MotionAgreementScorer(Scorer):
    """The output's pose against the driving clip's pose, each mapped into the unit box by its own
    bounding box over the clip (so place and size do not count, only the motion).

    ``pose_error``: mean distance of matching keypoints (box units, lower is better);
    ``motion_correlation``: cosine similarity of the two keypoint trajectories around their own
    means (1: the same movement, 0: none, as when the reference is copied);
    ``pose_seen``: the fraction of the driving clip's visible keypoints the output shows too.
    """

    name: ClassVar[str] = "motion_agreement"
    metrics: ClassVar[dict[str, str]] = {"pose_error": "lower", "motion_correlation": "higher", "pose_seen": "higher"}
    children: ClassVar[dict[str, str]] = {"estimator": "pose_estimator", "driving_estimator": "pose_estimator"}

    class Config(PartConfig):
        estimator: PartRef = Field(description="pose estimator for the output, {use: NAME, with: {...}}")
        driving_estimator: PartRef | None = Field(None, description="pose estimator for the driving clip "
                                                  "(null: `estimator`)")
        threshold: float = Field(0.3, ge=0, le=1, description="keypoint score above which a joint counts as seen")

    def _estimator(self, ref: PartRef) -> PoseEstimator:
        """The estimator for ``ref``, built and loaded once per scorer."""
        from motionctx.plugins import build_part

        cache = self.__dict__.setdefault("_estimators", {})
        key = ref.model_dump_json(by_alias=True)
        if key not in cache:
            cache[key] = build_part("pose_estimator", ref.use, ref.with_, where=f"{self.name}.estimator")
            cache[key].ensure_loaded()
        return cache[key]

    def score(self, output: Video, case: EvalCase) -> dict[str, float]:
        from motionctx.metrics.pose import motion_correlation, pose_distance

        out_poses = self._estimator(self.config.estimator).estimate(output)
        drv_poses = self._estimator(self.config.driving_estimator or self.config.estimator).estimate(case.driving)
        error, seen = pose_distance(out_poses, drv_poses, self.config.threshold)
        corr = motion_correlation(out_poses, drv_poses, self.config.threshold)
        return {"pose_error": error, "motion_correlation": corr, "pose_seen": seen}


@hookimpl
def register_scorers(register) -> None:
    for cls in (GroundTruthScorer, TemporalFlickerScorer, MotionSmoothnessScorer, IdentityColourScorer,
                MotionAgreementScorer):
        register(cls)
