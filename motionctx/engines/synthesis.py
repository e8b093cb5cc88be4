"""Pseudo-pair synthesis and quality filtering for the end-to-end variant.

Synthesis animates references with the motion of driving clips using the pose-based model; each
(driving, reference) pair is a *unit* with a stable id. Units are split over processes by rank,
a finished unit (its video written and its manifest line appended) is never redone, and an
interrupted unit leaves nothing behind (videos are written atomically, the manifest line last).
A clip's keypoint file (its manifest's ``keypoints``) is drawn instead of estimating its poses
(:class:`KeypointsMotion`).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from motionctx.errors import InputError
from motionctx.io import append_jsonl, read_jsonl

if TYPE_CHECKING:
    import torch

    from motionctx.types import Image, Video

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")


@dataclass(frozen=True)
class Unit:
    """One synthesis job: animate ``reference`` with the motion of ``driving`` (whose poses are in
    ``keypoints`` when its manifest line names a keypoint file)."""

    id: str
    driving: str
    reference: str
    caption: str | None = None
    keypoints: str | None = None


class KeypointsMotion:
    """Stands in for a pose motion source in :func:`~motionctx.engines.sampling.animate`: the
    driving clip's poses are read from its keypoint file instead of estimated, then drawn by the
    source's ``prepare_from_poses``.

    The file holds one entry per frame of the whole clip; a window of it (``Video.start``) gets the
    entries of its own frames, scaled to its size (the ``keypoints_file`` estimator's rules).
    """

    def __init__(self, motion: Any, path: str | Path) -> None:
        from motionctx.builtins.pose_estimators import KeypointsFileEstimator

        self.motion = motion
        self.name = motion.name
        self.path = str(path)
        self._file = KeypointsFileEstimator(path=self.path)

    def prepare(
        self, driving: Video, reference: Image, *, train: bool = False, rng: torch.Generator | None = None
    ) -> Video:
        """The motion signal of ``driving`` (a window of the file's clip) at the reference's size."""
        poses = self._file.estimate(driving)
        return self.motion.prepare_from_poses(poses, reference, train=train, rng=rng, fps=driving.fps)


def list_references(spec: str | list[str]) -> list[str]:
    """Reference images from a folder, a JSONL manifest (``reference`` or ``path`` keys; relative
    paths start at the manifest's folder) or a list."""
    if isinstance(spec, list):
        return [str(p) for p in spec]
    p = Path(spec)
    if p.is_dir():
        found = sorted(str(f) for f in p.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)
        if not found:
            raise InputError(f"reference folder {spec!r} holds no images", f"put {', '.join(IMAGE_SUFFIXES)} files there")
        return found
    if p.suffix == ".jsonl":
        return [str(p.parent / (r.get("reference") or r["path"])) for r in read_jsonl(p)]
    raise InputError(f"references {spec!r}: expected a folder of images, a .jsonl manifest or a list")


def plan_units(clips: list[dict[str, Any]], references: list[str], per_clip: int, seed: int) -> list[Unit]:
    """For each driving clip, ``per_clip`` references drawn without replacement (seeded). A unit's
    id depends on the clip's path, the reference and the seed only."""
    rng = random.Random(seed)
    units = []
    for clip in clips:
        chosen = rng.sample(references, k=min(per_clip, len(references)))
        for ref in chosen:
            key = f"{clip['path']}|{ref}|{seed}".encode()
            keypoints = str(clip["keypoints"]) if clip.get("keypoints") else None
            uid = hashlib.sha1(key).hexdigest()[:16]
            units.append(Unit(uid, str(clip["path"]), ref, clip.get("caption"), keypoints))
    return units


def unit_rng(unit_id: str, seed: int) -> random.Random:
    """A generator that depends only on the unit id and the stage seed (a rerun draws the same)."""
    return random.Random(hashlib.sha1(f"{unit_id}|{seed}".encode()).digest())


def unit_window(unit_id: str, seed: int, total: int, frames: int) -> tuple[int, int]:
    """``(start, seed)`` of one unit: a window of ``frames`` of a ``total``-frame driving clip
    starting at a random frame, and a sampling seed, both drawn from :func:`unit_rng`."""
    rng = unit_rng(unit_id, seed)
    start = rng.randrange(max(1, total - frames + 1))
    return start, rng.randrange(1 << 31)


def training_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """A synthesis record as an end-to-end training manifest line: target (``path``) = the source
    window, motion (``driving``) = the synthesised video, reference = the target's first frame
    (none given), caption = the source clip's. The synthesis fields stay under other names (the
    clip's keypoint file as ``clip_keypoints``: it does not describe the synthesised video).
    File paths come out absolute: a relative one in ``entry`` starts at the working folder, as the
    synthesize stage wrote it, while a training manifest's relative paths would start at its own
    folder."""
    renamed = ("path", "driving", "reference", "prompt", "caption", "keypoints")
    out = {k: v for k, v in entry.items() if k not in renamed}
    out.update(
        path=entry.get("source") or entry["driving"],
        driving=entry["video"],
        clip=entry["driving"],
        identity=entry.get("reference"),
    )
    if entry.get("caption") is not None:
        out["caption"] = entry["caption"]
    if entry.get("keypoints"):
        out["clip_keypoints"] = entry["keypoints"]
    for key in ("path", "driving", "clip", "identity", "video", "source", "clip_keypoints"):
        if out.get(key):
            out[key] = str(Path(out[key]).absolute())
    return out


def shard(units: Iterable[Unit], rank: int, world: int) -> list[Unit]:
    """The units this rank owns (round robin over the global order)."""
    return [u for i, u in enumerate(units) if i % world == rank]


def done_ids(*manifests: Path) -> set[str]:
    """Ids recorded in any of ``manifests`` whose video file exists (a deleted video is redone)."""
    return {r["id"] for m in manifests if m.is_file() for r in read_jsonl(m) if r.get("video") and Path(r["video"]).is_file()}


def record(manifest: Path, entry: dict[str, Any]) -> None:
    """Append one finished unit to the manifest (one atomic line)."""
    append_jsonl(manifest, entry)


def mean_score(scores: dict[str, float]) -> float:
    """The mean over dimensions (the method keeps samples whose mean exceeds 4 of 5)."""
    if not scores:
        raise InputError("a quality filter returned no scores", "its `dimensions` must not be empty")
    return sum(scores.values()) / len(scores)
