"""Benchmark manifests and cases.

A manifest is a JSONL file, one case per line::

    {"id": "case-000", "reference": "ref.png", "driving": "drive.mp4",
     "target": "target.mp4", "background": "bg.png", "categories": ["humanoid", "one character"],
     "files": {"driving_poses": "drive.poses.npz"}}

``id``, ``reference`` and ``driving`` are required; ``target`` (the right answer, when one exists),
``background`` (the target's known background: silhouettes are segmented against it),
``target_mask`` (a video whose bright pixels are the target's foreground), ``categories`` and
``files`` (any further per-case files, for ``{case.files.NAME}`` placeholders) are optional.
Relative paths are relative to the manifest's folder. Every file is checked before any model loads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from motionctx.errors import InputError

if TYPE_CHECKING:
    import torch

    from motionctx.types import Image, Video

#: optional media fields of a case -> what they hold
MEDIA_FIELDS = {"target": "video", "background": "image", "target_mask": "video"}
KNOWN_KEYS = {"id", "reference", "driving", "categories", "files", *MEDIA_FIELDS}
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


@dataclass(frozen=True)
class CaseSpec:
    """One manifest line with its paths resolved."""

    id: str
    reference: Path
    driving: Path
    target: Path | None = None
    background: Path | None = None
    target_mask: Path | None = None
    categories: tuple[str, ...] = ()
    files: dict[str, Path] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def placeholders(self) -> dict[str, str]:
        """Values for ``{case.NAME}`` placeholders: id, the media paths and ``files.NAME``."""
        out = {"id": self.id, "reference": str(self.reference), "driving": str(self.driving)}
        out.update({k: str(getattr(self, k)) for k in MEDIA_FIELDS if getattr(self, k) is not None})
        out.update({f"files.{k}": str(v) for k, v in self.files.items()})
        return out


def _path(row: dict[str, Any], key: str, root: Path, where: str) -> Path:
    value = row[key]
    if not isinstance(value, str) or not value:
        raise InputError(f"{where}: `{key}` must be a file path, got {value!r}", "write a path relative to the manifest")
    p = Path(value)
    return p if p.is_absolute() else root / p


def parse_case(row: dict[str, Any], root: Path, where: str) -> CaseSpec:
    """Check one manifest row and resolve its paths (files are checked by :func:`read_manifest`)."""
    for key in ("id", "reference", "driving"):
        if key not in row:
            raise InputError(f"{where}: no `{key}`", 'each line needs {"id": ..., "reference": ..., "driving": ...}')
    case_id = row["id"]
    if not isinstance(case_id, str) or not _SAFE_ID.fullmatch(case_id):
        raise InputError(f"{where}: id {case_id!r} cannot name a folder",
                         "use letters, digits, '.', '_' and '-' (at most 128 characters)")
    cats = row.get("categories") or []
    if isinstance(cats, str):
        cats = [cats]
    if not isinstance(cats, list) or not all(isinstance(c, str) and c for c in cats):
        raise InputError(f"{where}: `categories` must be a list of names, got {cats!r}", 'write e.g. ["humanoid"]')
    files = row.get("files") or {}
    if not isinstance(files, dict):
        raise InputError(f"{where}: `files` must be a mapping of name -> path", 'write e.g. {"poses": "a.npz"}')
    return CaseSpec(
        id=case_id,
        reference=_path(row, "reference", root, where),
        driving=_path(row, "driving", root, where),
        **{k: _path(row, k, root, where) for k in MEDIA_FIELDS if row.get(k) is not None},
        categories=tuple(dict.fromkeys(cats)),
        files={str(k): _path(files, k, root, f"{where} files") for k in files},
        extra={k: v for k, v in row.items() if k not in KNOWN_KEYS},
    )


def read_manifest(path: str | Path, *, check_files: bool = True) -> list[CaseSpec]:
    """Every case of a benchmark manifest; one InputError naming the line for the first problem
    (a missing key, a duplicate id, a file that is not there)."""
    from motionctx.io import read_jsonl
    from motionctx.io.video import existing

    p = existing(path, "benchmark manifest")
    cases: list[CaseSpec] = []
    seen: dict[str, int] = {}
    for i, row in enumerate(read_jsonl(p, skip_partial=False), start=1):
        where = f"manifest {str(p)!r} case {i}"
        case = parse_case(row, p.parent, where)
        if case.id in seen:
            raise InputError(f"{where}: id {case.id!r} is also case {seen[case.id]}", "give every case its own id")
        seen[case.id] = i
        if check_files:
            for key in ("reference", "driving", *MEDIA_FIELDS):
                f = getattr(case, key)
                if f is not None and not f.is_file():
                    raise InputError(f"{where} ({case.id}): {key} {str(f)!r} does not exist",
                                     "fix the path (relative paths start from the manifest's folder)")
            for name, f in case.files.items():
                if not f.exists():
                    raise InputError(f"{where} ({case.id}): files.{name} {str(f)!r} does not exist", "fix the path")
        cases.append(case)
    if not cases:
        raise InputError(f"benchmark manifest {str(p)!r} has no cases", "write one JSON object per line")
    return cases


@dataclass
class EvalCase:
    """A case's media at the working size: the reference, the driving clip, and (when the manifest
    has them) the target cut to the driving clip's frames, its background and foreground mask."""

    spec: CaseSpec
    reference: Image
    driving: Video
    target: Video | None = None
    background: Image | None = None
    target_mask: torch.Tensor | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.spec.id

    def has(self, name: str) -> bool:
        """Whether the case has ``name`` (``target``, ``background``, ``target_mask``, or
        ``silhouette``: a target mask or a background to segment against)."""
        if name == "silhouette":
            return self.target is not None and (self.target_mask is not None or self.background is not None)
        return getattr(self, name, None) is not None


def fit_to(frames: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """``frames [T, 3, H, W]`` resized to ``size`` as references are (cover, centre crop)."""
    from motionctx.builtins.motion_sources import fit_frames

    return frames if tuple(frames.shape[-2:]) == size else fit_frames(frames, size, "crop")


def load_case(spec: CaseSpec, geometry: Any, settings: Any) -> EvalCase:
    """Read a case's media and fit them as the animate stage does (``settings``: size, area,
    max_frames, driving_area); the target, background and mask are fitted to the same size."""
    from motionctx.engines.inputs import fit_inputs
    from motionctx.io import read_image, read_video
    from motionctx.types import Image, Video

    inputs = fit_inputs(spec.reference, spec.driving, geometry, size=settings.size, area=settings.area,
                        max_frames=settings.max_frames, snap_frames=False, driving_area=settings.driving_area)
    case = EvalCase(spec, inputs.reference, inputs.driving, notes=list(inputs.notes))
    size, n = inputs.reference.size, inputs.driving.num_frames
    if spec.target is not None:
        target = read_video(spec.target, max_frames=n, start=inputs.driving.start)
        if target.num_frames < n:
            raise InputError(f"case {spec.id}: target {str(spec.target)!r} has {target.num_frames} frames, the "
                             f"driving clip {n}", "the target must cover every driving frame used")
        case.target = Video(fit_to(target.frames, size).contiguous(), target.fps)
    if spec.background is not None:
        case.background = Image(fit_to(read_image(spec.background).pixels[None], size)[0].contiguous())
    if spec.target_mask is not None:
        mask = read_video(spec.target_mask, max_frames=n, start=inputs.driving.start).frames.mean(dim=1, keepdim=True)
        case.target_mask = (fit_to(mask.expand(-1, 3, -1, -1), size)[:, :1] > 0.5).float()
    return case
