"""Writing toy media to disk with sidecars that say exactly which toy clip they hold.

Next to every toy video or image goes ``<stem>.toy.json``: the clip spec (seeds), the caption and
the descriptions of its characters and motions. Videos also get ``<stem>.poses.npz`` (the
ground-truth keypoints in motionctx's pose-file format, readable by the built-in
``keypoints_file`` estimator). ``toy_truth`` and ``toy_caption`` read the sidecar.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from motionctx.errors import InputError
from motionctx.io import atomic_write_json, write_image, write_video
from motionctx_toy.clip import ToyClip
from motionctx_toy.seeds import split_of
from motionctx_toy.world import world_preset

SIDECAR_FORMAT = "motionctx-toy/1"


def sidecar_path(media: str | Path) -> Path:
    """``clip.mp4`` -> ``clip.toy.json``."""
    p = Path(media)
    return p.with_name(p.stem + ".toy.json")


def poses_path(media: str | Path) -> Path:
    """``clip.mp4`` -> ``clip.poses.npz``."""
    p = Path(media)
    return p.with_name(p.stem + ".poses.npz")


def write_sidecar(media: str | Path, clip: ToyClip, *, lossless: bool = False) -> Path:
    """Write ``clip``'s sidecar next to ``media``; returns its path. ``lossless``: the media holds
    the exact pixels (recorded, so that a dataset rewrites lossy clips)."""
    meta = clip.metadata
    doc = {
        "format": SIDECAR_FORMAT,
        "media": Path(media).name,
        "spec": meta.get("spec"),
        "caption": meta.get("caption", ""),
        "characters": meta.get("characters", []),
        "motions": meta.get("motions", []),
        "size": meta.get("size"),
        "frames": meta.get("frames"),
        "lossless": lossless,
    }
    return atomic_write_json(sidecar_path(media), doc)


def read_sidecar(path: str | Path) -> dict[str, Any]:
    """Read a sidecar (given the sidecar itself or the media file next to it)."""
    p = Path(path)
    if not p.name.endswith(".toy.json"):
        p = sidecar_path(p)
    if not p.is_file():
        raise InputError(f"toy sidecar {str(p)!r} does not exist", "toy media are written with write_toy_assets / save_clip")
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"toy sidecar {str(p)!r} is not readable JSON: {exc}".splitlines()[0]) from None
    if not isinstance(doc, dict) or doc.get("format") != SIDECAR_FORMAT:
        raise InputError(f"toy sidecar {str(p)!r} is not a {SIDECAR_FORMAT} file")
    return doc


def save_clip(path: str | Path, clip: ToyClip, *, lossless: bool = False) -> Path:
    """Write ``clip`` as an mp4 (or a PNG for a one-frame clip given a .png path) plus its sidecar
    and, for videos, its keypoints (``.poses.npz``; characters of one family only). ``lossless``:
    exact RGB video (training data; see :func:`motionctx.io.write_video`)."""
    from motionctx.pose import save_poses

    p = Path(path)
    if p.suffix.lower() in (".png", ".jpg", ".jpeg"):
        write_image(p, clip.frame(0))
    else:
        write_video(p, clip.video, lossless=lossless)
        families = {c["family"] for c in clip.metadata.get("characters", [])}
        if len(families) == 1:
            save_poses(poses_path(p), clip.poses)
    write_sidecar(p, clip, lossless=lossless or p.suffix.lower() == ".png")
    return p


def write_toy_assets(folder: str | Path, seed: int = 1_000_000, size: tuple[int, int] | None = None, frames: int = 17,
                     family: str | None = None, world: str = "simple") -> dict[str, Path]:
    """Write a demo cross-identity case of the named ``world`` into ``folder`` (``size``: the
    world's frame size unless given).

    ``reference.png`` (identity A), ``driving.mp4`` (identity B performing motion M) with
    ``driving.poses.npz`` keypoints, ``target.mp4`` (A performing M: the answer) and a
    ``.toy.json`` sidecar beside each. Returns the paths by role.
    """
    cases = world_preset(world, split_of(seed), frames=frames, **({"size": size} if size else {}))
    case = cases.cross_identity_case(seed, family)
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "reference": save_clip(out / "reference.png", case.reference_clip),
        "driving": save_clip(out / "driving.mp4", case.driving),
        "target": save_clip(out / "target.mp4", case.target),
    }
    paths["driving_poses"] = poses_path(paths["driving"])
    paths["target_poses"] = poses_path(paths["target"])
    for role in ("reference", "driving", "target"):
        paths[f"{role}_sidecar"] = sidecar_path(paths[role])
    return paths
