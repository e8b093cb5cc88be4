"""``toy_colours``: a pose estimator that reads a toy video's pixels.

``toy_truth`` knows where every joint of a toy clip is, but only for the clip it was told about;
it cannot look at a generated video. ``toy_colours`` does look: given the characters a video is
meant to show (their flat part colours, from a clip spec or a ``.toy.json`` sidecar), every pixel
close to one of those colours is given to that character's body part, and each part's pixels on
either side of the character's middle give one keypoint (their centroid), e.g. ``sleeve_left``.
These are not anatomical joints, but they move as the body parts move, so two videos of
different toy characters can be compared after box normalisation (the ``motion_agreement``
scorer). Each character is one person of the PoseSequence; a part not seen in a frame scores 0.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field

from motionctx.errors import InputError
from motionctx.parts import PartConfig, PoseEstimator
from motionctx_toy.spec import ClipSpec

if TYPE_CHECKING:

    from motionctx.types import PoseSequence, Skeleton, Video

SIDES = ("left", "right")


def colour_skeleton(family: str, roles: tuple[str, ...]) -> Skeleton:
    """The keypoint format of ``toy_colours`` for ``family``: two points per colour role."""
    from motionctx.types import Skeleton

    return Skeleton(name=f"toy_colours_{family}", keypoints=tuple(f"{r}_{s}" for r in roles for s in SIDES), edges=())


class ToyColoursEstimator(PoseEstimator):
    """Part centroids found by colour in any video of known toy characters (see module doc)."""

    name: ClassVar[str] = "toy_colours"
    keypoint_format: ClassVar[str] = "toy_colours"

    class Config(PartConfig):
        clip: ClipSpec | None = Field(None, description="the toy clip spec whose characters the video shows")
        sidecar: str | None = Field(None, description="the .toy.json sidecar (or the media file next to it)")
        tolerance: float = Field(0.2, gt=0, le=1, description="largest RGB distance from a part colour")

    def _palette(self) -> tuple[str, tuple[str, ...], Any]:
        """(family, roles, colours [C, R, 2, 3]: each character's role colours, lit and shaded)."""
        import numpy as np

        from motionctx_toy.character import make_character
        from motionctx_toy.colors import FAR_SHADE
        from motionctx_toy.parts import _spec_from

        spec = _spec_from(self.config.clip, self.config.sidecar, "toy_colours")
        chars = [make_character(c.seed, c.family, flat=c.flat, thickness=c.thickness) for c in spec.characters]
        if len({c.family for c in chars}) > 1:
            raise InputError("toy_colours: the clip mixes body families", "use clips of one family")
        roles = tuple(sorted(chars[0].colours))
        lit = np.array([[ch.colours[r] for r in roles] for ch in chars], np.float32)
        return chars[0].family, roles, np.stack([lit, lit * FAR_SHADE], axis=2)

    def estimate(self, video: Video) -> PoseSequence:
        import numpy as np
        import torch

        from motionctx.types import PoseSequence

        family, roles, colours = self._palette()
        c, r = colours.shape[:2]
        frames = video.frames.permute(0, 2, 3, 1).numpy()  # [T, H, W, 3]
        t, h, w = frames.shape[:3]
        xs, ys = np.meshgrid(np.arange(w) + 0.5, np.arange(h) + 0.5)
        kp = np.zeros((t, c, r * 2, 2), np.float32)
        sc = np.zeros((t, c, r * 2), np.float32)
        for f in range(t):  # one frame at a time: the distance array is [H, W, C, R, 2]
            dist = np.linalg.norm(frames[f, :, :, None, None, None, :] - colours[None, None], axis=-1).min(-1)
            dist = dist.reshape(h, w, c * r)
            best, hit = dist.argmin(-1), dist.min(-1) < self.config.tolerance
            for ci in range(c):
                mine = hit & (best // r == ci)
                if not mine.any():
                    continue
                middle = xs[mine].mean()
                for ri in range(r):
                    part = mine & (best == ci * r + ri)
                    for si, side in enumerate((xs < middle, xs >= middle)):
                        sel = part & side
                        if sel.any():
                            kp[f, ci, ri * 2 + si] = (xs[sel].mean(), ys[sel].mean())
                            sc[f, ci, ri * 2 + si] = 1.0
        return PoseSequence(torch.from_numpy(kp), torch.from_numpy(sc), colour_skeleton(family, roles), video.size,
                            video.fps)
