"""Parts that read the toy world's ground truth: ``toy_truth`` (pose estimator) and ``toy_caption``
(text guider).

A video on its own does not say which toy clip it is, so both parts are told: either the clip
spec itself (``clip``: the seeds, as found in ``ToyClip.metadata["spec"]``) or the ``.toy.json``
sidecar written next to toy media by ``save_clip`` / ``write_toy_assets``. Heavy modules load on
first use, never at import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field

from motionctx.errors import InputError
from motionctx.parts import PartConfig, PoseEstimator, TextGuider
from motionctx_toy.spec import CharacterSpec, ClipSpec, MotionSpec

if TYPE_CHECKING:
    from motionctx.types import Image, PoseSequence, Video
    from motionctx_toy.clip import ToyClip


def _spec_from(clip: ClipSpec | None, sidecar: str | None, what: str) -> ClipSpec:
    if clip is not None:
        return clip
    if sidecar:
        from motionctx_toy.assets import read_sidecar

        doc = read_sidecar(sidecar)
        if not doc.get("spec"):
            raise InputError(f"toy sidecar {sidecar!r} has no clip spec", "write it from a clip rendered from seeds")
        return ClipSpec(**doc["spec"])
    raise InputError(
        f"{what} needs to know which toy clip it is looking at",
        "set `clip` (a spec such as ToyClip.metadata['spec']) or `sidecar` (the .toy.json written next to toy media)",
    )


class ToyTruthEstimator(PoseEstimator):
    """Exact keypoints of a toy clip, re-derived from its seeds (no estimation involved).

    The video may have fewer frames than the clip (a prefix is returned) and another size of the
    same aspect ratio (keypoints are scaled). With ``check_pixels`` the clip is rendered again
    and a video that does not look like it is refused. Humanoids come back as ``openpose_18``,
    quadrupeds and birds as ``toy_quadruped`` / ``toy_bird``.
    """

    name: ClassVar[str] = "toy_truth"
    keypoint_format: ClassVar[str] = "openpose_18"

    class Config(PartConfig):
        clip: ClipSpec | None = Field(None, description="the toy clip spec (seeds), e.g. ToyClip.metadata['spec']")
        sidecar: str | None = Field(None, description="path of the .toy.json sidecar written next to the toy video")
        character: int | None = Field(None, ge=0, description="return only this character (index); default: all")
        check_pixels: bool = Field(True, description="refuse a video whose pixels do not match the clip")
        tolerance: float = Field(0.06, gt=0, description="largest mean absolute pixel difference accepted")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clip: ToyClip | None = None

    def clip(self) -> ToyClip:
        """The configured toy clip, rendered once."""
        if self._clip is None:
            from motionctx_toy.clip import render_spec

            self._clip = render_spec(_spec_from(self.config.clip, self.config.sidecar, "toy_truth"))
        return self._clip

    def estimate(self, video: Video) -> PoseSequence:
        import dataclasses

        import torch

        clip = self.clip()
        t, size = video.num_frames, video.size
        if t > clip.video.num_frames:
            raise InputError(
                f"toy_truth: the video has {t} frames but the toy clip only {clip.video.num_frames}",
                "pass the video rendered from this clip (or a prefix of it)",
            )
        (ch, cw), (vh, vw) = clip.video.size, size
        if abs((cw / ch) / (vw / vh) - 1) > 0.02:
            raise InputError(f"toy_truth: the video is {vh}x{vw} but the toy clip is {ch}x{cw}, another aspect ratio")
        if self.config.check_pixels:
            self._check(video, clip)
        seqs = clip.character_poses
        if self.config.character is not None:
            if self.config.character >= len(seqs):
                raise InputError(f"toy_truth: character {self.config.character} of a clip with {len(seqs)}")
            seqs = (seqs[self.config.character],)
        elif len({s.skeleton.name for s in seqs}) > 1:
            raise InputError("toy_truth: the clip mixes body families", "pick one with `character: INDEX`")
        scale = torch.tensor([vw / cw, vh / ch])
        kp = torch.cat([s.keypoints[:t] for s in seqs], dim=1) * scale
        sc = torch.cat([s.scores[:t] for s in seqs], dim=1)
        return dataclasses.replace(seqs[0], keypoints=kp, scores=sc, size=size, fps=video.fps)

    def _check(self, video: Video, clip: ToyClip) -> None:
        import torch.nn.functional as F

        frames = video.frames
        ref = clip.video.frames[: video.num_frames]
        if frames.shape[-2:] != ref.shape[-2:]:
            ref = F.interpolate(ref, size=frames.shape[-2:], mode="bilinear", align_corners=False)
        diff = float((frames - ref).abs().mean())
        if diff > self.config.tolerance:
            raise InputError(
                f"toy_truth: the video does not match the toy clip (mean pixel difference {diff:.3f})",
                "point `clip`/`sidecar` at the clip this video was rendered from, or set check_pixels: false",
            )


class ToyCaptionGuider(TextGuider):
    """A plain-English prompt from the generator's own data: the reference's identity and the
    driving clip's motion, e.g. "A stocky humanoid with ... It walks to the left."

    The identity comes from ``character``, else the reference sidecar, else the driving clip's
    first character; the motion from the driving clip (``clip`` or ``driving_sidecar``). A sidecar
    is trusted only for the media it describes: its clip is rendered again from the seeds and
    compared with what the guider is given. The reference must show the same colours (the same
    character on the same background, in any pose: histograms of 8 levels per channel within
    ``colour_tolerance``, L1), the driving frames the same pixels (mean absolute difference within
    ``tolerance``, as ``toy_truth`` checks). When a sidecar is missing or does not match (your own
    photo or video), a warning says so and the prompt is ``fallback_prompt``, or, when only the
    driving clip is foreign, the reference's character with "It moves.": the guider never
    describes another character than the one it is shown.
    """

    name: ClassVar[str] = "toy_caption"

    class Foreign(Exception):
        """The media given are not the toy media a sidecar describes."""

    class Config(PartConfig):
        character: CharacterSpec | None = Field(None, description="the identity shown in the reference")
        reference_sidecar: str | None = Field(None, description="the .toy.json written next to the reference image")
        clip: ClipSpec | None = Field(None, description="the driving clip's spec (its first character's motion)")
        driving_sidecar: str | None = Field(None, description="the .toy.json written next to the driving video")
        motion: MotionSpec | None = Field(None, description="override the driving motion (seed, kind)")
        fallback_prompt: str = Field(
            "A small character moves.", description="the prompt when a sidecar is missing or not of the media given"
        )
        tolerance: float = Field(
            0.06,
            gt=0,
            description="largest mean absolute pixel difference between the driving frames and their sidecar's clip",
        )
        colour_tolerance: float = Field(
            0.5,
            gt=0,
            le=2,
            description="largest L1 distance between the colour histograms of the reference and its sidecar's",
        )

    def describe(self, reference: Image, driving: Video) -> str:
        import warnings

        try:
            return self._describe(reference, driving)
        except self.Foreign as exc:
            who = self._reference_only(reference)
            if who is not None:  # a toy character driven by foreign motion: its own looks, no motion words
                warnings.warn(f"toy_caption: {exc}; describing the reference's character only", stacklevel=2)
                return f"{who}. It moves."
            warnings.warn(
                f"toy_caption: {exc}; using the fallback prompt {self.config.fallback_prompt!r}", stacklevel=2
            )
            return self.config.fallback_prompt

    def _reference_only(self, reference: Image) -> str | None:
        """The reference's character described from its sidecar (or ``character``), when that
        sidecar is there and of this image; None otherwise."""
        from motionctx_toy.captions import describe_character
        from motionctx_toy.character import make_character

        identity = self.config.character
        if identity is None and self.config.reference_sidecar:
            try:
                spec = self._spec(None, self.config.reference_sidecar, "reference")
                self._check_reference(reference, spec, self.config.reference_sidecar)
            except self.Foreign:
                return None
            identity = spec.characters[0]
        if identity is None:
            return None
        who = describe_character(make_character(identity.seed, identity.family, flat=identity.flat,
                                                thickness=identity.thickness))
        return f"{who[0].upper()}{who[1:]}"

    def _describe(self, reference: Image, driving: Video) -> str:
        from motionctx_toy.captions import describe_character, describe_motion
        from motionctx_toy.character import make_character
        from motionctx_toy.motion import make_motion

        cfg = self.config
        spec = self._spec(cfg.clip, cfg.driving_sidecar, "driving")
        if cfg.clip is None:
            self._check_driving(driving, spec, cfg.driving_sidecar)
        identity = cfg.character
        if identity is None and cfg.reference_sidecar:
            ref_spec = self._spec(None, cfg.reference_sidecar, "reference")
            self._check_reference(reference, ref_spec, cfg.reference_sidecar)
            identity = ref_spec.characters[0]
        identity = identity or spec.characters[0]
        family = spec.characters[0].family
        motion_spec = cfg.motion or spec.motions[0]
        motion = make_motion(motion_spec.seed, family, spec.frames, kind=motion_spec.kind, front=motion_spec.front)
        who = describe_character(make_character(identity.seed, identity.family, flat=identity.flat, thickness=identity.thickness))
        return f"{who[0].upper()}{who[1:]}. It {describe_motion(motion)}."

    @staticmethod
    def _spec(clip: ClipSpec | None, sidecar: str | None, role: str) -> ClipSpec:
        if clip is not None or not sidecar:  # a recipe that names no clip at all is an error, not a fallback
            return _spec_from(clip, sidecar, "toy_caption")
        try:
            return _spec_from(clip, sidecar, "toy_caption")
        except InputError as exc:
            raise ToyCaptionGuider.Foreign(f"no usable {role} sidecar ({exc.message})") from None

    def _check_driving(self, driving: Video, spec: ClipSpec, sidecar: str | None) -> None:
        import torch.nn.functional as F

        from motionctx_toy.clip import render_spec

        frames = driving.frames[:8]
        rendered = render_spec(spec).video.frames[driving.start : driving.start + len(frames)]
        if len(rendered) < len(frames):
            raise ToyCaptionGuider.Foreign(f"the driving video is longer than the toy clip of {sidecar!r}")
        if rendered.shape[-2:] != frames.shape[-2:]:
            rendered = F.interpolate(rendered, size=frames.shape[-2:], mode="bilinear", align_corners=False)
        diff = float((frames - rendered).abs().mean())
        if diff > self.config.tolerance:
            raise ToyCaptionGuider.Foreign(
                f"the driving video is not the toy clip of {sidecar!r} (mean pixel difference {diff:.3f})"
            )

    def _check_reference(self, reference: Image, spec: ClipSpec, sidecar: str | None) -> None:
        from motionctx_toy.clip import render_spec

        def histogram(pixels: Any) -> Any:
            q = (pixels.clamp(0, 1) * 8).long().clamp(max=7)
            counts = ((q[0] * 8 + q[1]) * 8 + q[2]).flatten().bincount(minlength=512).float()
            return counts / counts.sum()

        rendered = render_spec(spec).video.frames[0]
        distance = float((histogram(reference.pixels) - histogram(rendered)).abs().sum())
        if distance > self.config.colour_tolerance:
            raise ToyCaptionGuider.Foreign(
                f"the reference image is not the toy character of {sidecar!r} (colour histogram distance {distance:.2f})"
            )
