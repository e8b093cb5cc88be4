"""Render characters performing motions into a clip with exact keypoints and masks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from motionctx.errors import InputError
from motionctx_toy import seeds
from motionctx_toy.background import Background, make_background
from motionctx_toy.captions import caption
from motionctx_toy.character import Character, make_character
from motionctx_toy.motion import Motion, make_motion
from motionctx_toy.posing import Placement, pose
from motionctx_toy.raster import paint
from motionctx_toy.skeletons import skeleton_for
from motionctx_toy.spec import ClipSpec, MotionSpec

if TYPE_CHECKING:
    import torch

    from motionctx.types import Image, PoseSequence, Video


@dataclass(frozen=True, eq=False)
class ToyClip:
    """A rendered clip: ``video``, one PoseSequence per character, the foreground ``mask
    [T, 1, H, W]`` (1 where any character is visible), ``character_masks [P, T, 1, H, W]`` (the
    visible pixels of each character; they partition ``mask``), the ``background [3, H, W]`` and
    ``metadata`` (seeds, descriptions, ``caption``, and ``spec`` when the clip came from seeds)."""

    video: Video
    character_poses: tuple[PoseSequence, ...]
    mask: torch.Tensor
    character_masks: torch.Tensor
    background: torch.Tensor
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def poses(self) -> PoseSequence:
        """All characters in one PoseSequence (``P`` = characters); they must share a family."""
        from motionctx.types import PoseSequence

        first = self.character_poses[0]
        if len(self.character_poses) == 1:
            return first
        if any(p.skeleton.name != first.skeleton.name for p in self.character_poses):
            raise InputError(
                "this clip mixes body families, so its keypoints do not share one skeleton",
                "use clip.character_poses (one PoseSequence per character)",
            )
        import torch

        return PoseSequence(
            torch.cat([p.keypoints for p in self.character_poses], dim=1),
            torch.cat([p.scores for p in self.character_poses], dim=1),
            first.skeleton, first.size, first.fps,
        )

    @property
    def caption(self) -> str:
        return str(self.metadata.get("caption", ""))

    @property
    def spec(self) -> ClipSpec | None:
        raw = self.metadata.get("spec")
        return ClipSpec(**raw) if raw else None

    def frame(self, index: int = 0) -> Image:
        return self.video.frame(index)


def default_placements(n: int) -> list[Placement]:
    """Lanes across the frame for ``n`` characters; later ones stand lower (nearer) and larger."""
    if n == 1:
        return [Placement()]
    base = {2: 0.8, 3: 0.68}.get(n, 0.6)
    out = []
    for i in range(n):
        back = n - 1 - i
        out.append(Placement(x=(i + 0.5) / n, span=1.0 / n + 0.15, scale=base * (1 - 0.08 * back),
                             ground=0.93 - 0.07 * back))
    return out


def render_clip(
    characters: Character | Sequence[Character],
    motions: Motion | Sequence[Motion],
    size: tuple[int, int] = (64, 64),
    frames: int | None = None,
    background: Background | int | None = None,
    placements: Sequence[Placement] | None = None,
    fps: float = 8.0,
    supersample: int = 1,
) -> ToyClip:
    """Render characters (painted in list order: later ones in front) performing their motions.

    ``frames`` resamples the motions (default: the first motion's frame count); ``background`` is
    a Background or a seed (default: derived from the characters' and motions' seeds).
    """
    chars = [characters] if isinstance(characters, Character) else list(characters)
    mots = [motions] if isinstance(motions, Motion) else list(motions)
    if not chars or len(chars) != len(mots):
        raise InputError(f"render_clip: {len(mots)} motions for {len(chars)} characters", "give one motion per character")
    h, w = int(size[0]), int(size[1])
    if h < 8 or w < 8:
        raise InputError(f"render_clip: size {size} is too small", "use at least 8x8 pixels")
    n_frames = int(frames or mots[0].frames)
    mots = [m.resample(n_frames) for m in mots]
    pls = list(placements) if placements is not None else default_placements(len(chars))
    if len(pls) != len(chars):
        raise InputError(f"render_clip: {len(pls)} placements for {len(chars)} characters")
    colours = [c for ch in chars for c in ch.colours.values()]
    if not isinstance(background, Background):
        background = make_background(_background_seed(background, chars, mots), avoid=colours)

    s = int(supersample)
    big = (h * s, w * s)
    bg = background.image(big)
    canvas = np.broadcast_to(bg, (n_frames, *bg.shape)).copy()
    owner = np.full((n_frames, *big), -1, np.int8)
    poses = []
    for i, (ch, m, pl) in enumerate(zip(chars, mots, pls)):
        posed = pose(ch, m, (h, w), pl)
        poses.append(posed)
        hi = posed if s == 1 else pose(ch, m, big, pl)
        paint(canvas, owner, i, hi, ch.pattern, ch.pattern_scale)
    if s > 1:
        canvas = canvas.reshape(n_frames, h, s, w, s, 3).mean(axis=(2, 4))
        cover = np.stack([(owner == i).reshape(n_frames, h, s, w, s).mean(axis=(2, 4)) for i in range(len(chars))])
        owner = np.where(cover.max(0) >= 0.5, cover.argmax(0), -1).astype(np.int8)
        bg = background.image((h, w))
    return _assemble(canvas, owner, bg, chars, mots, poses, pls, background, (h, w), fps, s)


def _background_seed(background: int | None, chars: list[Character], mots: list[Motion]) -> int:
    if background is not None:
        return seeds.check_seed(background, what="background seed")
    mix = [x.seed if x.seed is not None else 0 for x in (*chars, *mots)]
    return int(seeds.rng(0, "auto-background", *mix).integers(0, seeds.HELDOUT_START))


def _assemble(canvas, owner, bg, chars, mots, poses, pls, background, size, fps, s) -> ToyClip:
    import torch

    from motionctx.types import PoseSequence, Video

    video = Video(torch.from_numpy(np.ascontiguousarray(canvas.transpose(0, 3, 1, 2))).clamp_(0, 1), fps)
    own = torch.from_numpy(owner.astype(np.int64))
    ids = torch.arange(len(chars)).view(-1, 1, 1, 1)
    char_masks = (own.unsqueeze(0) == ids).float().unsqueeze(2)  # [P, T, 1, H, W]
    mask = (own >= 0).float().unsqueeze(1)
    pose_seqs = []
    for ch, posed in zip(chars, poses):
        kp, sc = posed.keypoints()
        outside = (kp[..., 0] < 0) | (kp[..., 0] > size[1]) | (kp[..., 1] < 0) | (kp[..., 1] > size[0])
        sc = np.where(outside, 0.0, sc).astype(np.float32)
        pose_seqs.append(PoseSequence(torch.from_numpy(kp[:, None].copy()), torch.from_numpy(sc[:, None].copy()),
                                      skeleton_for(ch.family), size, fps))
    metadata: dict[str, Any] = {
        "characters": [c.describe() for c in chars],
        "motions": [m.describe() for m in mots],
        "background": background.describe(),
        "placements": [p.as_dict() for p in pls],
        "size": list(size),
        "frames": int(canvas.shape[0]),
        "fps": fps,
        "caption": caption(chars, mots),
    }
    if all(x.seed is not None for x in (*chars, *mots)) and background.seed is not None:
        metadata["spec"] = ClipSpec(
            characters=[{"family": c.family, "seed": c.seed, **({"flat": True} if c.flat else {}),
                         **({"thickness": c.thickness} if c.thickness != 1.0 else {})} for c in chars],
            motions=[{"seed": m.seed, "kind": m.kind, "front": m.front, "hold": m.held, "resampled_from": m.resampled_from}
                     for m in mots],
            frames=int(canvas.shape[0]), size=size, background=background.seed, background_kind=background.kind,
            placements=[p.as_dict() for p in pls], fps=fps, supersample=s,
        ).model_dump()
        metadata["split"] = "heldout" if any(x.seed >= seeds.HELDOUT_START for x in (*chars, *mots)) else "train"
    return ToyClip(video, tuple(pose_seqs), mask, char_masks, torch.from_numpy(bg.transpose(2, 0, 1).copy()), metadata)


def _spec_motion(m: MotionSpec, family: str, frames: int) -> Motion:
    """The motion a spec names: drawn at the clip's frame count (or hold's ``n``), or at the first
    of ``resampled_from`` and resampled through the rest to it; a still held from ``hold``."""
    n = m.hold[1] if m.hold is not None else frames
    counts = [*m.resampled_from, n]
    motion = make_motion(m.seed, family, counts[0], kind=m.kind, front=m.front)
    for count in counts[1:]:
        motion = motion.resample(count)
    return motion.frame(m.hold[0]) if m.hold is not None else motion


def render_spec(spec: ClipSpec | dict[str, Any]) -> ToyClip:
    """Render the clip a :class:`ClipSpec` describes (the same pixels every time)."""
    spec = spec if isinstance(spec, ClipSpec) else ClipSpec(**spec)
    chars = [make_character(c.seed, c.family, flat=c.flat, thickness=c.thickness) for c in spec.characters]
    mots = [_spec_motion(m, c.family, spec.frames) for c, m in zip(chars, spec.motions)]
    colours = [c for ch in chars for c in ch.colours.values()]
    bg = make_background(spec.background, avoid=colours, kind=spec.background_kind)
    pls = [Placement(**p.model_dump()) for p in spec.placements] if spec.placements else None
    return render_clip(chars, mots, spec.size, spec.frames, bg, pls, spec.fps, spec.supersample)
