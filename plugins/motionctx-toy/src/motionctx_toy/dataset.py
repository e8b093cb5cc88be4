"""Toy training sets on disk: rendered clips, keypoints and captions listed in a JSONL manifest.

Writing is resumable: a clip whose files exist is not rendered again, and the manifest is
rewritten atomically at the end, so an interrupted run leaves a usable folder and a re-run finishes it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path

from motionctx.io import atomic_write_text
from motionctx_toy.assets import poses_path, save_clip, sidecar_path
from motionctx_toy.seeds import HELDOUT_START
from motionctx_toy.world import ToyWorld


def check_fractions(pairs: float, skeleton_pairs: float, panels: float, cases: float = 0.0, duets: float = 0.0) -> None:
    """Raise ValueError unless the fractions of the clip kinds add up to at most 1."""
    total = pairs + skeleton_pairs + panels + cases + duets
    if total > 1:
        raise ValueError(
            f"pairs + skeleton_pairs + panels + cases + duets is {total:g}; the fractions must add up to at most 1"
        )


def write_toy_dataset(
    folder: str | Path,
    count: int,
    *,
    first_seed: int = 0,
    split: str = "train",
    size: tuple[int, int] = (64, 64),
    frames: int = 9,
    families: tuple[str, ...] = ("humanoid",),
    pairs: float = 0.0,
    references: bool = False,
    skeleton_pairs: float = 0.0,
    panels: float = 0.0,
    cases: float = 0.0,
    duets: float = 0.0,
    scale: float = 1.0,
    span: float = 1.0,
    background_kind: str | None = None,
    track: Callable[[Iterable[int], str], Iterable[int]] | None = None,
) -> Path:
    """Render ``count`` clips (seeds ``first_seed ...``) into ``folder``; returns ``manifest.jsonl``.

    Each manifest line: ``{"id", "path", "caption", "keypoints"}`` with paths relative to the folder.
    ``pairs``: the fraction of seeds rendered as :meth:`ToyWorld.pair_spec` clips (two identities in
    unison, twice as wide) instead of one-character clips; which seeds is fixed by the seed.
    ``references``: give each one-character clip a reference still (:meth:`ToyWorld.reference_spec`,
    ``<id>.reference.png``, the manifest's ``reference``) instead of its first frame.
    ``skeleton_pairs``: the fraction of seeds rendered as a one-character clip next to its own pose
    skeleton (:func:`~motionctx_toy.pose_view.pose_view`, twice as wide, ``skel<seed>.mp4``).
    ``panels``: the fraction of seeds written as split-screen panels of a pair clip: the right
    character's half as the clip (``panel<seed>.mp4``) and the left character's half, the same
    motion at the same places, as its ``driving`` video (``panel<seed>.driving.mp4``).
    ``cases``: the fraction of seeds written as cross-identity cases of the training split
    (:meth:`ToyWorld.cross_identity_case`, laid out as the benchmark's): A performing M as the clip
    (``case<seed>.mp4``), B performing M on its own background as the ``driving`` video with B's
    keypoints, and a still of A in another pose as the ``reference``: exact ground-truth pairs.
    ``duets``: the fraction of seeds written as duets (``duet<seed>.mp4``, twice as wide): such a
    case's A and B side by side, each on its own background, the same motion at the same places.
    ``scale`` / ``span`` / ``background_kind``: the world's framing and backgrounds (see :class:`ToyWorld`).
    """
    from motionctx_toy.clip import render_spec
    from motionctx_toy.seeds import rng

    check_fractions(pairs, skeleton_pairs, panels, cases, duets)
    if split == "train" and first_seed + count > HELDOUT_START:
        raise ValueError(f"training seeds must stay below {HELDOUT_START}")
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    world = ToyWorld(split=split, size=size, frames=frames, families=families, scale=scale, span=span,
                      background_kind=background_kind)
    seeds = range(first_seed, first_seed + count)
    lines = []
    for seed in track(seeds, "rendering toy clips") if track else seeds:
        u = float(rng(seed, "dataset", "pair").random())  # which kind of clip this seed gives
        write = _special_kind(u, pairs, [(skeleton_pairs, _skeleton_pair), (panels, _panels), (cases, _case),
                                         (duets, _duet)])
        if write is not None:
            lines.append(json.dumps(write(out, world, seed)))
            continue
        pair = u < pairs
        name = f"{'pair' if pair else 'clip'}{seed:07d}"
        video = out / f"{name}.mp4"
        if not (video.is_file() and sidecar_path(video).is_file() and poses_path(video).is_file()):
            save_clip(video, render_spec(world.pair_spec(seed)) if pair else world.clip(seed))
        caption = json.loads(sidecar_path(video).read_text())["caption"]
        line = {"id": name, "path": video.name, "caption": caption, "keypoints": poses_path(video).name}
        if references and not pair:
            still = out / f"{name}.reference.png"
            if not (still.is_file() and sidecar_path(still).is_file()):
                save_clip(still, render_spec(world.reference_spec(seed)))
            line["reference"] = still.name
        lines.append(json.dumps(line))
    manifest = out / "manifest.jsonl"
    atomic_write_text(manifest, "\n".join(lines) + "\n")
    return manifest


def _special_kind(u: float, start: float, kinds: list[tuple[float, Callable[..., dict[str, str]]]]
                  ) -> Callable[..., dict[str, str]] | None:
    """The writer whose interval holds ``u``: the kinds' fractions lie back to back from ``start``
    (after the pair clips), in the order given, so adding a kind leaves the earlier kinds' seeds alone."""
    for fraction, write in kinds:
        if start <= u < start + fraction:
            return write
        start += fraction
    return None


def _skeleton_pair(out: Path, world: ToyWorld, seed: int) -> dict[str, str]:
    """Write ``skel<seed>.mp4`` (clip ``seed`` next to its skeleton) unless present; its manifest line."""
    from motionctx.io import write_video
    from motionctx_toy.pose_view import POSE_VIEW_NOTE, pose_view

    clip = world.clip(seed)
    name = f"skel{seed:07d}"
    video = out / f"{name}.mp4"
    if not video.is_file():
        write_video(video, pose_view(clip))
    return {"id": name, "path": video.name, "caption": f"{clip.caption} {POSE_VIEW_NOTE}"}


def _panels(out: Path, world: ToyWorld, seed: int) -> dict[str, str]:
    """Write the two halves of pair clip ``seed`` unless present; its manifest line (right half as
    the clip, left half as the driving video)."""
    from motionctx.io import write_video
    from motionctx.types import Video
    from motionctx_toy.clip import render_spec

    name = f"panel{seed:07d}"
    video, driving = out / f"{name}.mp4", out / f"{name}.driving.mp4"
    clip = render_spec(world.pair_spec(seed))
    if not (video.is_file() and driving.is_file()):
        frames, w = clip.video.frames, world.size[1]
        write_video(driving, Video(frames[..., :w].contiguous(), clip.video.fps))
        write_video(video, Video(frames[..., w:].contiguous(), clip.video.fps))
    return {"id": name, "path": video.name, "driving": driving.name, "caption": clip.caption}


def _case(out: Path, world: ToyWorld, seed: int) -> dict[str, str]:
    """Write cross-identity case ``seed`` (target clip, driving clip with its keypoints, reference
    still) unless present; its manifest line."""
    name = f"case{seed:07d}"
    video, driving, still = out / f"{name}.mp4", out / f"{name}.driving.mp4", out / f"{name}.reference.png"
    if not all(p.is_file() for p in (video, driving, poses_path(driving), still, sidecar_path(video))):
        case = world.cross_identity_case(seed)
        save_clip(still, case.reference_clip)
        save_clip(driving, case.driving)
        save_clip(video, case.target)
    caption = json.loads(sidecar_path(video).read_text())["caption"]
    return {"id": name, "path": video.name, "driving": driving.name, "reference": still.name, "caption": caption,
            "keypoints": poses_path(driving).name}


def _duet(out: Path, world: ToyWorld, seed: int) -> dict[str, str]:
    """Write ``duet<seed>.mp4`` (case ``seed``'s A and B side by side, each on its own background)
    unless present; its manifest line."""
    import torch

    from motionctx.io import write_video
    from motionctx.types import Video

    case = world.cross_identity_case(seed)
    name = f"duet{seed:07d}"
    video = out / f"{name}.mp4"
    if not video.is_file():
        frames = torch.cat([case.target.video.frames, case.driving.video.frames], dim=-1)
        write_video(video, Video(frames.contiguous(), case.target.video.fps))
    return {"id": name, "path": video.name, "caption": case.target.caption}
