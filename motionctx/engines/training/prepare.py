"""The ``prepare`` engine: turn a manifest into a cached, indexed training set.

Per clip: probe the video, estimate poses (when the motion source has an estimator, or read the
manifest's keypoints file), describe it (manifest caption, else the text guider), encode the
caption with the backbone's text encoder and, optionally, VAE-encode its first window. Each
result is a cache entry keyed by content hash + parameters (:mod:`.cache`), so a second run, or a
run after an interruption, only does what is missing.

Clips are sharded over processes by manifest position (``i % world == rank``). Each process
writes ``<folder>/shard-<rank>-of-<world>.jsonl`` (the clips it covered); after a barrier, rank 0
merges them into ``<folder>/index.jsonl`` in manifest order, which the ``train`` stage reads.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from motionctx.engines.training.cache import Cache, cache_key
from motionctx.engines.training.distributed import barrier, rank_and_world
from motionctx.engines.training.manifest import ManifestEntry, read_manifest
from motionctx.errors import InputError

if TYPE_CHECKING:
    from motionctx.engines.training.options import PrepareConfig
    from motionctx.parts import Backbone, MotionSource, PoseEstimator, TextGuider
    from motionctx.types import PoseSequence, Video

__all__ = [
    "PrepareParts",
    "PrepareReport",
    "identity",
    "loss_accepts",
    "nearest_bucket",
    "pose_estimator",
    "prepare_dataset",
    "read_index",
    "uses_poses",
]

Track = Callable[[Iterable[Any], str, int], Iterator[Any]]


@dataclass
class PrepareParts:
    """The recipe parts the engine may use (any may be missing)."""

    motion: MotionSource | None = None
    text: TextGuider | None = None
    backbone: Backbone | None = None


@dataclass
class PrepareReport:
    """What one process did, and where the merged index is."""

    index: Path
    shard: Path
    clips: int = 0
    computed: dict[str, int] = field(default_factory=dict)
    reused: dict[str, int] = field(default_factory=dict)
    skipped: list[dict[str, Any]] = field(default_factory=list)

    def count(self, kind: str, hit: bool) -> None:
        target = self.reused if hit else self.computed
        target[kind] = target.get(kind, 0) + 1


def identity(part: Any) -> dict[str, Any]:
    """A part's name and Config as JSON data: what cache keys record about the part."""
    return {"name": part.name, "config": part.config.model_dump(mode="json")}


def nearest_bucket(size: tuple[int, int], buckets: list[tuple[int, int]]) -> tuple[int, int]:
    """The bucket whose aspect ratio (W / H, compared in log space) is closest to ``size``'s."""
    import math

    h, w = size
    return min(buckets, key=lambda b: (abs(math.log((w / h) / (b[1] / b[0]))), b[0] * b[1]))


def pose_estimator(motion: MotionSource | None) -> PoseEstimator | None:
    """The pose estimator of a pose-driven motion source (its ``estimator``), else None."""
    from motionctx.parts import PoseEstimator

    est = getattr(motion, "estimator", None) if motion is not None else None
    return est if isinstance(est, PoseEstimator) else None


#: Config fields of the built-in ``pose`` source that rendering from cached poses reads.
POSE_FIELDS = ("fit", "smoothing", "augment", "render")


def uses_poses(motion: MotionSource | None) -> bool:
    """Whether the motion source can draw cached poses: it has ``prepare_from_poses``, or it is
    the ``pose`` source (an estimator and the pose pipeline's settings)."""
    if motion is None:
        return False
    if callable(getattr(motion, "prepare_from_poses", None)):
        return True
    return pose_estimator(motion) is not None and all(hasattr(motion.config, f) for f in POSE_FIELDS)


def loss_accepts(backbone_cls: type, keyword: str) -> bool:
    """Whether ``backbone_cls.training_loss`` takes ``keyword`` (e.g. ``text_embeddings``)."""
    import inspect

    params = inspect.signature(backbone_cls.training_loss).parameters
    return keyword in params or any(p.kind == p.VAR_KEYWORD for p in params.values())


def concat_poses(chunks: list[PoseSequence]) -> PoseSequence:
    """Join per-chunk pose sequences along time, padding the people axis with missing joints."""
    import torch

    from motionctx.types import PoseSequence

    people = max(c.num_people for c in chunks)
    kps, scs = [], []
    for c in chunks:
        pad = people - c.num_people
        kp, sc = c.keypoints.float(), c.scores.float()
        if pad:
            t, _, k, _ = kp.shape
            kp = torch.cat([kp, kp.new_zeros(t, pad, k, 2)], dim=1)
            sc = torch.cat([sc, sc.new_zeros(t, pad, k)], dim=1)
        kps.append(kp)
        scs.append(sc)
    first = chunks[0]
    return PoseSequence(torch.cat(kps), torch.cat(scs), first.skeleton, first.size, first.fps)


def _scaled_to(poses: PoseSequence, size: tuple[int, int], where: str) -> PoseSequence:
    """Poses of a file made at another resolution (same aspect ratio) moved to ``size``."""
    import dataclasses

    if poses.size == size:
        return poses
    (fh, fw), (vh, vw) = poses.size, size
    if abs((fw / fh) / (vw / vh) - 1) > 0.02:
        raise InputError(
            f"{where} is for {fh}x{fw} frames but the video is {vh}x{vw} (H x W)",
            "use the keypoints made from this video",
        )
    scale = poses.keypoints.new_tensor([vw / fw, vh / fh])
    return dataclasses.replace(poses, keypoints=poses.keypoints * scale, size=size)


class _Preparer:
    """One process's work over its shard of the manifest."""

    def __init__(
        self,
        config: PrepareConfig,
        parts: PrepareParts,
        cache: Cache,
        report: PrepareReport,
        log: Callable[[str], None],
    ) -> None:
        self.c = config
        self.parts = parts
        self.cache = cache
        self.report = report
        self.log = log
        self.use_poses = config.poses and uses_poses(parts.motion)
        self.estimator = pose_estimator(parts.motion) if self.use_poses else None

    def clip(self, entry: ManifestEntry) -> dict[str, Any]:
        from motionctx.engines.training.video import probe

        info = probe(entry.path)
        if info.frames < self.c.min_frames:
            raise InputError(f"too short: {info.frames} frames < {self.c.min_frames}")
        motion_path = entry.driving or entry.path
        motion_info = probe(motion_path) if entry.driving else info
        if motion_info.frames < info.frames:
            raise InputError(f"driving video has {motion_info.frames} frames, fewer than the target's {info.frames}")
        video_hash = self.cache.file_hash(entry.path)
        motion_hash = self.cache.file_hash(motion_path) if entry.driving else video_hash
        ref_hash = self.cache.file_hash(entry.reference) if entry.reference else None
        record: dict[str, Any] = {
            "id": entry.id,
            "line": entry.line,
            "path": str(entry.path.resolve()),
            "hash": video_hash,
            "frames": info.frames,
            "fps": info.fps,
            "size": list(info.size),
            "driving": str(entry.driving.resolve()) if entry.driving else None,
            "reference": str(entry.reference.resolve()) if entry.reference else None,
            "cache": str(self.cache.root.resolve()),
        }
        record["poses"] = self.poses(entry, motion_path, motion_hash, motion_info.frames, motion_info.size)
        record["caption"] = self.caption(entry, video_hash, ref_hash)
        record["text"] = self.text_embedding(record["caption"])
        record["latents"] = self.latents(entry, video_hash, info.frames, info.size)
        return record

    # ------------------------------------------------------------------ poses
    def poses(
        self, entry: ManifestEntry, video: Path, video_hash: str, frames: int, size: tuple[int, int]
    ) -> str | None:
        from motionctx.checks import read_keypoints
        from motionctx.pose.files import save_poses

        if not self.use_poses:
            return None
        if entry.keypoints is not None:
            source: dict[str, Any] = {"keypoints": self.cache.file_hash(entry.keypoints)}
        elif self.estimator is not None:
            source = {"estimator": identity(self.estimator), "chunk": self.c.chunk_frames}
        else:
            return None
        key = cache_key(kind="poses", video=video_hash, **source)
        path = self.cache.path("poses", key, "npz")
        hit = path.is_file()
        if not hit:
            if entry.keypoints is not None:
                poses = _scaled_to(read_keypoints(entry.keypoints, size), size, f"keypoints {str(entry.keypoints)!r}")
            else:
                poses = self.estimate(video)
            if poses.num_frames != frames:
                raise InputError(
                    f"poses have {poses.num_frames} frames but the video has {frames}",
                    "give keypoints with one entry per video frame",
                )
            save_poses(path, poses)
        self.report.count("poses", hit)
        return self.cache.relative(path)

    def estimate(self, video: Path) -> PoseSequence:
        from motionctx.engines.training.video import iter_chunks

        assert self.estimator is not None
        if not self.c.chunk_frames:
            from motionctx.io import read_video

            return self.estimator.estimate(read_video(video))
        return concat_poses([self.estimator.estimate(chunk) for chunk in iter_chunks(video, self.c.chunk_frames)])

    # ------------------------------------------------------------------ text
    def caption(self, entry: ManifestEntry, video_hash: str, ref_hash: str | None) -> str:
        if entry.caption is not None:
            return entry.caption
        guider = self.parts.text if self.c.captions else None
        if guider is None:
            return ""
        key = cache_key(
            kind="caption",
            video=video_hash,
            reference=ref_hash,
            guider=identity(guider),
            frames=self.c.describe_frames,
            side=self.c.describe_side,
        )
        cached = self.cache.get_json("captions", key)
        hit = isinstance(cached, dict) and isinstance(cached.get("caption"), str)
        if not hit:
            cached = {"caption": guider.describe(*self.describe_inputs(entry))}
            self.cache.put_json("captions", key, cached)
        self.report.count("captions", hit)
        return str(cached["caption"])  # type: ignore[index]

    def describe_inputs(self, entry: ManifestEntry) -> tuple[Any, Video]:
        import torch.nn.functional as F

        from motionctx.engines.training.video import probe, read_window
        from motionctx.io import read_image
        from motionctx.types import Image, Video

        n = min(self.c.describe_frames, probe(entry.path, decode_first=False).frames)
        clip = read_window(entry.path, 0, n)
        h, w = clip.size
        scale = self.c.describe_side / max(h, w)
        if scale < 1:
            size = (max(1, round(h * scale)), max(1, round(w * scale)))
            clip = Video(F.interpolate(clip.frames, size=size, mode="area").clamp(0, 1), clip.fps)
        reference = read_image(entry.reference) if entry.reference else Image(clip.frames[0].contiguous())
        return reference, clip

    def text_embedding(self, caption: str) -> str | None:
        backbone = self.parts.backbone
        if backbone is None or not self.c.text_embeddings:
            return None
        if self.c.text_embeddings == "auto" and not loss_accepts(type(backbone), "text_embeddings"):
            return None
        key = cache_key(kind="text", caption=caption, backbone=identity(backbone))
        path = self.cache.path("text", key, "safetensors")
        hit = path.is_file()
        if not hit:
            emb = backbone.encode_text([caption])
            emb = emb[0] if hasattr(emb, "ndim") and emb.ndim >= 3 else emb
            self.cache.put_tensors("text", key, {"embedding": emb}, {"caption": caption[:2000]})
        self.report.count("text", hit)
        return self.cache.relative(path)

    # ------------------------------------------------------------------ latents
    def latents(
        self, entry: ManifestEntry, video_hash: str, frames: int, size: tuple[int, int]
    ) -> dict[str, Any] | None:
        backbone = self.parts.backbone if self.c.latents else None
        encode = getattr(backbone, "encode_video", None)
        if backbone is None or encode is None:
            if self.c.latents:
                self.log("prepare: latents: true, but the backbone has no encode_video; no latents cached")
            return None
        from motionctx.builtins.motion_sources import fit_frames
        from motionctx.engines.training.video import read_window
        from motionctx.types import Video

        bucket = nearest_bucket(size, self.c.buckets)
        n = backbone.geometry.snap_frames(min(self.c.latent_frames, frames))
        key = cache_key(
            kind="latents", video=video_hash, backbone=identity(backbone), bucket=bucket, frames=n, fit="crop"
        )
        path = self.cache.path("latents", key, "safetensors")
        hit = path.is_file()
        if not hit:
            clip = read_window(entry.path, 0, n)
            clip = Video(fit_frames(clip.frames, bucket, "crop"), clip.fps)
            self.cache.put_tensors("latents", key, {"latents": encode(clip)})
        self.report.count("latents", hit)
        return {"path": self.cache.relative(path), "frames": n, "size": list(bucket), "start": 0}


def prepare_dataset(
    config: PrepareConfig,
    parts: PrepareParts,
    output_dir: Path,
    *,
    track: Track | None = None,
    log: Callable[[str], None] = print,
) -> PrepareReport:
    """Prepare this process's shard and (on rank 0, after every shard is done) write the index."""
    from motionctx.engines.training.cache import default_cache_dir
    from motionctx.io import atomic_write_text

    rank, world = rank_and_world()
    folder = output_dir / config.folder
    cache = Cache(Path(config.cache) if config.cache else default_cache_dir(output_dir))
    entries = read_manifest(config.manifest)
    mine = [e for i, e in enumerate(entries) if i % world == rank]
    shard = folder / f"shard-{rank}-of-{world}.jsonl"
    report = PrepareReport(index=folder / "index.jsonl", shard=shard)
    worker = _Preparer(config, parts, cache, report, log)
    lines = []
    items = track(mine, f"prepare (rank {rank}/{world})" if world > 1 else "prepare", len(mine)) if track else mine
    for entry in items:
        try:
            record = worker.clip(entry)
            report.clips += 1
        except InputError as exc:
            if config.stop_on_error:
                raise InputError(f"manifest record {entry.line} ({entry.id}): {exc.message}", exc.hint) from None
            record = {"id": entry.id, "line": entry.line, "path": str(entry.path), "skipped": exc.message}
            report.skipped.append(record)
            log(f"prepare: skipped {entry.id} ({entry.path}): {exc.message}")
        lines.append(json.dumps(record) + "\n")
    atomic_write_text(shard, "".join(lines))
    barrier()
    if rank == 0:
        merged = []
        for r in range(world):
            part = folder / f"shard-{r}-of-{world}.jsonl"
            if not part.is_file():
                raise InputError(f"prepare: rank {r} wrote no {part.name}", "a process failed; run the stage again")
            merged.extend(json.loads(line) for line in part.read_text(encoding="utf-8").splitlines() if line)
        merged.sort(key=lambda r: r["line"])
        kept = [r for r in merged if "skipped" not in r]
        atomic_write_text(report.index, "".join(json.dumps(r) + "\n" for r in kept))
    barrier()
    return report


def read_index(path: str | Path) -> list[dict[str, Any]]:
    """The clip records of an index written by :func:`prepare_dataset`."""
    from motionctx.io import read_jsonl

    p = Path(path)
    if not p.is_file():
        raise InputError(
            f"training index {str(p)!r} does not exist",
            "run the prepare stage first (or point the train stage's `data` at its index.jsonl)",
        )
    records = read_jsonl(p)
    if not records:
        raise InputError(
            f"training index {str(p)!r} lists no clips", "check the manifest and the prepare stage's skipped list"
        )
    return records
