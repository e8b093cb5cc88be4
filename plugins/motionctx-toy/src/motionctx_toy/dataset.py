"""Toy training sets on disk: rendered clips, keypoints and captions listed in a JSONL manifest.

Writing is resumable: a clip whose files exist and describe the clip asked for (its sidecar's spec)
is not rendered again, and the manifest is rewritten atomically at the end, so an interrupted run
leaves a usable folder and a re-run finishes it; clips of another world in the folder are redrawn.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path

from motionctx.io import atomic_write_text
from motionctx_toy.assets import poses_path, save_clip, sidecar_path
from motionctx_toy.seeds import HELDOUT_START
from motionctx_toy.spec import ClipSpec
from motionctx_toy.world import ToyWorld


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
    references: float = 0.0,
    scale: float = 1.0,
    span: float = 1.0,
    background_kind: str | None = None,
    world: ToyWorld | None = None,
    track: Callable[[Iterable[int], str], Iterable[int]] | None = None,
) -> Path:
    """Render ``count`` clips (seeds ``first_seed ...``) into ``folder``; returns ``manifest.jsonl``.

    Each manifest line: ``{"id", "path", "caption", "keypoints"}`` with paths relative to the folder.
    ``pairs``: the fraction of seeds rendered as :meth:`ToyWorld.pair_spec` clips (two identities in
    unison, twice as wide) instead of one-character clips; which seeds is fixed by the seed.
    ``references``: the fraction of one-character clips (``True``: all) given a reference still
    (:meth:`ToyWorld.reference_spec`, ``<id>.reference.png``, the manifest's ``reference``) instead
    of their first frame; which seeds is fixed by the seed.
    ``scale`` / ``span`` / ``background_kind``: the world's framing and backgrounds (see :class:`ToyWorld`).
    ``world``: a whole :class:`ToyWorld` (for example :func:`~motionctx_toy.world.world_preset`);
    it replaces ``split``, ``size``, ``frames``, ``families`` and the framing arguments.
    """
    from motionctx_toy.clip import render_spec
    from motionctx_toy.seeds import rng

    if not 0.0 <= pairs <= 1.0 or not 0.0 <= float(references) <= 1.0:
        raise ValueError(f"pairs and references must lie between 0 and 1, got {pairs:g} and {float(references):g}")
    if world is None:
        world = ToyWorld(split=split, size=size, frames=frames, families=families, scale=scale, span=span,
                         background_kind=background_kind)
    split = world.split
    if split == "train" and first_seed + count > HELDOUT_START:
        raise ValueError(f"training seeds must stay below {HELDOUT_START}")
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    seeds = range(first_seed, first_seed + count)
    lines = []
    for seed in track(seeds, "rendering toy clips") if track else seeds:
        pair = float(rng(seed, "dataset", "pair").random()) < pairs  # which kind of clip this seed gives
        name = f"{'pair' if pair else 'clip'}{seed:07d}"
        video = out / f"{name}.mp4"
        spec = world.pair_spec(seed) if pair else world.spec(seed)
        if not (_holds(video, spec) and poses_path(video).is_file()):
            save_clip(video, render_spec(spec), lossless=True)  # 4:2:0 chroma would blur 32 px characters
        caption = json.loads(sidecar_path(video).read_text())["caption"]
        line = {"id": name, "path": video.name, "caption": caption, "keypoints": poses_path(video).name}
        if not pair and float(rng(seed, "dataset", "reference").random()) < references:
            still = out / f"{name}.reference.png"
            still_spec = world.reference_spec(seed)
            if not _holds(still, still_spec):
                save_clip(still, render_spec(still_spec))
            line["reference"] = still.name
        lines.append(json.dumps(line))
    manifest = out / "manifest.jsonl"
    atomic_write_text(manifest, "\n".join(lines) + "\n")
    return manifest


def _holds(media: Path, spec: ClipSpec) -> bool:
    """``media`` and its sidecar exist, the media is lossless (a PNG, or a video written so) and the
    sidecar describes ``spec`` (rendering fills in what the spec leaves open, such as a motion kind
    drawn from the seed)."""
    side = sidecar_path(media)
    if not (media.is_file() and side.is_file()):
        return False
    try:
        doc = json.loads(side.read_text())
        return doc.get("lossless") is True and _agrees(spec.model_dump(), ClipSpec(**doc["spec"]).model_dump())
    except (ValueError, KeyError, TypeError):  # unreadable or another format: draw it again
        return False


def _agrees(want: object, got: object) -> bool:
    """``got`` equals ``want`` wherever ``want`` is not None."""
    if want is None:
        return True
    if isinstance(want, dict) and isinstance(got, dict):
        return want.keys() == got.keys() and all(_agrees(v, got[k]) for k, v in want.items())
    if isinstance(want, list) and isinstance(got, list):
        return len(want) == len(got) and all(_agrees(a, b) for a, b in zip(want, got))
    return want == got
