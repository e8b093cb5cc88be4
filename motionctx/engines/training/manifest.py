"""Training data manifests (JSONL, one source video per line) and ``motionctx data check``.

A line holds ``path`` (the target video; ``video`` is accepted too, as the synthesize/filter
stages write it) and optionally ``id``, ``caption`` (or ``prompt``), ``keypoints`` (a pose file
for the video: NPZ or OpenPose JSON), ``driving`` (a video with the same frames whose motion
drives the target, for pseudo pairs) and ``reference`` (an image of the identity to animate;
default: the first frame of each sampled window). Relative paths start at the manifest's folder.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from motionctx.errors import InputError

__all__ = ["CheckResult", "ManifestEntry", "check_entry", "check_manifest", "read_manifest"]

KNOWN_KEYS = {"id", "path", "video", "caption", "prompt", "keypoints", "driving", "reference"}


@dataclass(frozen=True)
class ManifestEntry:
    """One manifest line with its paths resolved."""

    id: str
    path: Path
    line: int
    caption: str | None = None
    keypoints: Path | None = None
    driving: Path | None = None
    reference: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _resolve(base: Path, value: Any, where: str) -> Path | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InputError(f"{where}: expected a path string, got {value!r}")
    p = Path(value).expanduser()
    return p if p.is_absolute() else (base / p)


def read_manifest(path: str | Path) -> list[ManifestEntry]:
    """Every line of a manifest as a :class:`ManifestEntry`; ids default to ``line-N``.

    A line without a path, or two lines with one id, is an InputError naming the line.
    """
    from motionctx.io import read_jsonl

    p = Path(path)
    base = p.resolve().parent
    entries: list[ManifestEntry] = []
    seen: dict[str, int] = {}
    for number, rec in enumerate(read_jsonl(p), start=1):
        where = f"manifest {str(p)!r} record {number}"
        target = rec.get("path", rec.get("video"))
        if not target:
            raise InputError(f"{where} has no `path`", 'each line needs {"path": "clip.mp4", ...}')
        ident = str(rec.get("id") or f"line-{number:06d}")
        if ident in seen:
            raise InputError(
                f"{where}: id {ident!r} is also used by record {seen[ident]}", "give every clip its own id"
            )
        seen[ident] = number
        caption = rec.get("caption", rec.get("prompt"))
        entries.append(
            ManifestEntry(
                id=ident,
                path=_resolve(base, target, where),  # type: ignore[arg-type]
                line=number,
                caption=str(caption) if caption is not None else None,
                keypoints=_resolve(base, rec.get("keypoints"), where),
                driving=_resolve(base, rec.get("driving"), where),
                reference=_resolve(base, rec.get("reference"), where),
                extra={k: v for k, v in rec.items() if k not in KNOWN_KEYS},
            )
        )
    return entries


@dataclass
class CheckResult:
    """What :func:`check_entry` found for one manifest line (``problems`` empty = usable)."""

    id: str
    line: int
    path: str
    frames: int | None = None
    fps: float | None = None
    size: tuple[int, int] | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["size"] = list(self.size) if self.size else None
        d["ok"] = self.ok
        return d


def check_entry(
    entry: ManifestEntry, *, min_frames: int = 49, size_multiple: int = 2, min_side: int = 64, full_decode: bool = False
) -> CheckResult:
    """Probe one entry: readable, at least ``min_frames`` frames, even sides (``size_multiple``)
    of at least ``min_side`` pixels; the driving and reference files when given, and the
    keypoints (one entry per frame of the video the motion comes from: ``driving`` or ``path``)."""
    from motionctx.engines.training.video import iter_chunks, probe

    res = CheckResult(entry.id, entry.line, str(entry.path))
    try:
        info = probe(entry.path)
        if full_decode:
            info = type(info)(sum(c.num_frames for c in iter_chunks(entry.path, 32)), info.fps, info.size, info.codec)
    except InputError as exc:
        res.problems.append(f"unreadable: {exc.message}")
        return res
    res.frames, res.fps, res.size = info.frames, info.fps, info.size
    if info.frames < min_frames:
        res.problems.append(f"too short: {info.frames} frames < {min_frames}")
    h, w = info.size
    if h % size_multiple or w % size_multiple:
        res.problems.append(f"odd size: {h}x{w} (H x W) is not a multiple of {size_multiple}")
    if min(h, w) < min_side:
        res.problems.append(f"too small: {h}x{w} (H x W), the shorter side is below {min_side}")
    motion_info = info
    if entry.driving is not None:
        try:
            motion_info = probe(entry.driving)
            if motion_info.frames < info.frames:
                res.problems.append(
                    f"driving video has {motion_info.frames} frames, fewer than the target's {info.frames}"
                )
        except InputError as exc:
            res.problems.append(f"driving unreadable: {exc.message}")
            motion_info = None
    if entry.reference is not None and not entry.reference.is_file():
        res.problems.append(f"reference image {str(entry.reference)!r} does not exist")
    if entry.keypoints is not None and motion_info is not None:
        res.problems.extend(_check_keypoints(entry.keypoints, motion_info.frames, motion_info.size))
    return res


def _check_keypoints(path: Path, frames: int, size: tuple[int, int]) -> list[str]:
    from motionctx.checks import read_keypoints

    try:
        poses = read_keypoints(path, size)
    except InputError as exc:
        return [f"keypoints unreadable: {exc.message}"]
    if poses.num_frames != frames:
        return [f"keypoints have {poses.num_frames} frames, the video {frames}"]
    return []


def check_manifest(path: str | Path, **options: Any) -> list[CheckResult]:
    """:func:`check_entry` for every line (never stops at the first bad one)."""
    return [check_entry(e, **options) for e in read_manifest(path)]
