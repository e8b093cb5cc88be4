"""Held-out toy benchmark cases written as an ``evaluate`` manifest.

Each case animates identity A with the motion identity B performs; the target is A performing it
on A's background. Cases cycle through the families (humanoid, quadruped, bird) and every
``several_every``-th case has two characters instead of one. Categories name both, as the
method's benchmark does. Per case folder: ``reference.png``, ``driving.mp4``, ``target.mp4`` (the
videos lossless; each with its ``.toy.json`` sidecar; the videos with ``.poses.npz`` keypoints)
and ``background.png`` (the target's background, against which silhouettes are segmented).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from motionctx_toy import seeds
from motionctx_toy.families import FAMILIES
from motionctx_toy.world import CrossIdentityCase, ToyWorld, world_preset

#: manifest case ``i`` of benchmark seed ``s`` uses held-out seed MANIFEST_START + s * 10000 + i
MANIFEST_START = seeds.HELDOUT_START + 500_000


def family_world(name: str, family: str, **overrides: Any) -> ToyWorld:
    """The named world's held-out split for one family (motion kinds the family lacks are dropped)."""
    from motionctx_toy.motion import motion_kinds
    from motionctx_toy.world import WORLDS

    motions = WORLDS[name].get("motions") if name in WORLDS else None
    if motions is not None and not any(k in motion_kinds(family) for k in motions):
        overrides.setdefault("motions", None)
    return world_preset(name, "heldout", families=(family,), **overrides)


def several_case(world: ToyWorld, seed: int, count: int = 2) -> CrossIdentityCase:
    """A cross-identity case with ``count`` characters of the world's first family: A1..An in still
    poses (the reference), B1..Bn moving (the driving clip), A1..An moving as B1..Bn do (the target)."""
    from motionctx_toy.clip import render_clip

    fam = world.families[0]

    def sub(*purpose: str | int) -> int:
        return seeds.derive_seed(seed, world.split, "several", *purpose)

    a = [world.character(sub("a", i), fam) for i in range(count)]
    b = [world.character(sub("b", i), fam) for i in range(count)]
    motions = [world.motion(sub("motion", i), fam) for i in range(count)]
    stills = [world.motion(sub("still", i), fam).frame(0) for i in range(count)]
    bg_a = world.background(sub("background-a"), avoid=[c for ch in a for c in ch.colours.values()])
    bg_b = world.background(sub("background-b"), avoid=[c for ch in b for c in ch.colours.values()])
    kw: dict[str, Any] = {"size": world.size, "fps": world.fps, "supersample": world.supersample,
                          "placements": world.placements(count)}
    reference = render_clip(a, stills, frames=1, background=bg_a, **kw)
    driving = render_clip(b, motions, frames=world.frames, background=bg_b, **kw)
    target = render_clip(a, motions, frames=world.frames, background=bg_a, **kw)
    meta = {"seed": seed, "split": world.split, "family": fam, "characters": count, "caption": target.caption}
    return CrossIdentityCase(reference.frame(0), reference, driving, target, meta)


def write_case(folder: Path, case: CrossIdentityCase) -> dict[str, str]:
    """Write one case's files into ``folder``; returns their names by role."""
    from motionctx.io import write_image
    from motionctx.types import Image
    from motionctx_toy.assets import poses_path, save_clip

    folder.mkdir(parents=True, exist_ok=True)
    save_clip(folder / "reference.png", case.reference_clip)
    # exact pixels: the target is what outputs are scored against (4:2:0 video blurs small characters)
    save_clip(folder / "driving.mp4", case.driving, lossless=True)
    save_clip(folder / "target.mp4", case.target, lossless=True)
    write_image(folder / "background.png", Image(case.target.background.float().contiguous()))
    out = {"reference": "reference.png", "driving": "driving.mp4", "target": "target.mp4", "background": "background.png"}
    for role in ("driving", "target"):
        if poses_path(folder / out[role]).is_file():
            out[f"{role}_poses"] = poses_path(out[role]).name
    return out


def write_toy_manifest(out: str | Path, cases: int = 24, *, seed: int = 0, world: str = "simple",
                       families: tuple[str, ...] = tuple(FAMILIES), several_every: int = 4,
                       frames: int | None = None, size: int | None = None, thickness: float | None = None) -> Path:
    """Write ``cases`` held-out cases and ``manifest.jsonl`` into the folder ``out`` (replaced whole,
    atomically; a folder that is not an earlier manifest is refused). Returns the manifest path."""
    from motionctx.io import atomic_dir, atomic_write_text, check_replaceable

    check_replaceable(out, "manifest.jsonl", "--out")
    overrides = {**({"frames": frames} if frames else {}), **({"size": (size, size)} if size else {}),
                 **({"thickness": thickness} if thickness else {})}
    lines = []
    with atomic_dir(out) as tmp:
        for i in range(cases):
            fam = families[i % len(families)]
            w = family_world(world, fam, **overrides)
            case_seed = MANIFEST_START + seed * 10_000 + i
            several = several_every > 0 and i % several_every == several_every - 1
            case = several_case(w, case_seed) if several else w.cross_identity_case(case_seed, fam)
            case_id = f"case-{i:03d}"
            files = write_case(tmp / case_id, case)
            row = {"id": case_id, **{k: f"{case_id}/{files[k]}" for k in ("reference", "driving", "target", "background")},
                   "categories": [fam, "several characters" if several else "one character"],
                   "files": {k: f"{case_id}/{v}" for k, v in files.items() if k.endswith("_poses")},
                   "toy": {"seed": case_seed, "world": world, "family": fam}}
            lines.append(json.dumps(row) + "\n")
        atomic_write_text(tmp / "manifest.jsonl", "".join(lines))
    return Path(out) / "manifest.jsonl"
