"""Training batches for the in-context method, drawn deterministically from the prepared index.

Every batch has a global index ``g``; everything random about it (which clips, how many frames,
where each window starts, the augmentation) is a pure function of ``(seed, g)``. Process ``r`` of
``W`` takes ``g = (step * accumulation + micro) * W + r``, so processes never need to talk about
data, a resumed run continues exactly where it stopped, and worker processes change nothing.

Epochs: clips are grouped by their aspect-ratio bucket; each epoch shuffles every bucket, cuts it
into batches of ``batch_size`` (a bucket smaller than a batch is repeated to fill one), and
shuffles the batches. One sample: a window of ``n`` frames (``n`` drawn per batch among the
frame-rule counts in ``frames``, capped by the shortest clip), reference = the window's first
frame (or the manifest's reference image), motion = the motion source's output with
``train=True``, composite = the composer's layout, clean = the composite with the window pasted
into its target region.

Motion hint (a curriculum, off by default): early batches blend the target window itself into the
motion signal, ``w * target + (1 - w) * motion``, with ``w`` falling from 1 to 0 over a range of
optimizer steps. The idea is that the model learns to read the motion region while it is an easy
copy and keeps reading it as the signal turns into the motion source's own (a skeleton, say); on
the toy model it did not carry over (docs/toy-experiments.md). The weight is a pure function of the batch
index, so resumed runs and worker processes see the same batches.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from motionctx.engines.training.prepare import nearest_bucket, uses_poses
from motionctx.errors import InputError

if TYPE_CHECKING:
    import torch

    from motionctx.engines.training.cache import Cache
    from motionctx.parts import Composer, MotionSource
    from motionctx.types import Composite, Geometry, Image, PoseSequence, Video

__all__ = [
    "BatchPlan",
    "BatchPlanner",
    "Clip",
    "TrainBatch",
    "TrainingData",
    "derive_seed",
    "frame_counts",
    "load_clips",
]


def derive_seed(*parts: int) -> int:
    """A 63-bit seed mixed from integers (numpy's SeedSequence: no correlated neighbours)."""
    import numpy as np

    return int(
        np.random.SeedSequence([int(p) & 0xFFFFFFFF for p in parts]).generate_state(2, np.uint32).view(np.uint64)[0]
        >> 1
    )


@dataclass(frozen=True)
class Clip:
    """One usable clip of the index with absolute paths and its bucket."""

    index: int
    id: str
    path: str
    frames: int
    fps: float
    size: tuple[int, int]
    bucket: tuple[int, int]
    caption: str = ""
    poses: str | None = None
    text: str | None = None
    driving: str | None = None
    reference: str | None = None


def load_clips(records: list[dict[str, Any]], cache: Cache | None, buckets: list[tuple[int, int]]) -> list[Clip]:
    """Index records (from :func:`~.prepare.read_index`) as :class:`Clip` objects. Cache entries
    are looked up in ``cache`` when given, else in the cache each record was prepared with."""
    from motionctx.engines.training.cache import Cache

    clips = []
    for i, r in enumerate(records):
        if cache is None and not r.get("cache"):
            raise InputError(
                f"index record {r.get('id')!r} does not say which cache it was prepared with",
                "set the train stage's `cache` to the prepare stage's cache folder",
            )
        root = cache or Cache(r["cache"])
        size = (int(r["size"][0]), int(r["size"][1]))
        clips.append(Clip(
            index=i, id=str(r["id"]), path=r["path"], frames=int(r["frames"]), fps=float(r["fps"]), size=size,
            bucket=nearest_bucket(size, buckets), caption=r.get("caption") or "",
            poses=str(root.resolve(r["poses"])) if r.get("poses") else None,
            text=str(root.resolve(r["text"])) if r.get("text") else None,
            driving=r.get("driving"), reference=r.get("reference"),
        ))  # fmt: skip
    return clips


def frame_counts(lo: int, hi: int, geometry: Geometry) -> list[int]:
    """Frame counts in ``[lo, hi]`` that meet the frame rule (at least the snapped ``hi``)."""
    f = geometry.temporal_factor
    counts = [n for n in range(lo, hi + 1) if (n - 1) % f == 0]
    return counts or [geometry.snap_frames(hi)]


@dataclass(frozen=True)
class BatchPlan:
    """Everything drawn for global batch ``index``."""

    index: int
    epoch: int
    bucket: tuple[int, int]
    clips: tuple[int, ...]
    frames: int
    starts: tuple[int, ...]


class BatchPlanner:
    """Global batch index -> :class:`BatchPlan` (pure; epochs cached)."""

    def __init__(
        self, clips: list[Clip], *, batch_size: int, frames: tuple[int, int], stride: int, geometry: Geometry, seed: int
    ) -> None:
        self.clips = clips
        self.batch_size = batch_size
        self.stride = stride
        self.seed = seed
        self.geometry = geometry
        self.counts = frame_counts(frames[0], frames[1], geometry)
        self.by_bucket: dict[tuple[int, int], list[int]] = {}
        for c in clips:
            self.by_bucket.setdefault(c.bucket, []).append(c.index)
        self._epochs: OrderedDict[int, list[tuple[int, ...]]] = OrderedDict()
        self.batches_per_epoch = len(self.epoch(0))

    def usable_frames(self, clip: Clip) -> int:
        """The longest frame-rule window the clip holds at this stride."""
        return self.geometry.snap_frames((clip.frames - 1) // self.stride + 1)

    def epoch(self, epoch: int) -> list[tuple[int, ...]]:
        import numpy as np

        if epoch not in self._epochs:
            rng = np.random.default_rng([self.seed & 0xFFFFFFFF, epoch, 0xB0C7])
            batches: list[tuple[int, ...]] = []
            for bucket in sorted(self.by_bucket):
                order = [self.by_bucket[bucket][i] for i in rng.permutation(len(self.by_bucket[bucket]))]
                if len(order) < self.batch_size:
                    order = (order * self.batch_size)[: self.batch_size]
                for i in range(0, len(order) - self.batch_size + 1, self.batch_size):
                    batches.append(tuple(order[i : i + self.batch_size]))
            self._epochs[epoch] = [batches[i] for i in rng.permutation(len(batches))]
            while len(self._epochs) > 2:
                self._epochs.popitem(last=False)
        return self._epochs[epoch]

    def plan(self, index: int) -> BatchPlan:
        import numpy as np

        epoch, pos = divmod(index, self.batches_per_epoch)
        members = self.epoch(epoch)[pos]
        rng = np.random.default_rng([self.seed & 0xFFFFFFFF, index, 0xF7A3])
        longest = min(self.usable_frames(self.clips[i]) for i in members)
        choices = [n for n in self.counts if n <= longest] or [longest]
        n = int(choices[int(rng.integers(len(choices)))])
        span = (n - 1) * self.stride + 1
        starts = tuple(int(rng.integers(0, self.clips[i].frames - span + 1)) for i in members)
        return BatchPlan(index, epoch, self.clips[members[0]].bucket, members, n, starts)


@dataclass
class TrainBatch:
    """One micro-batch, ready for ``backbone.training_loss``."""

    index: int
    epoch: int
    composites: list[Composite]
    clean: list[Video]
    prompts: list[str]
    ids: list[str]
    text_embeddings: list[torch.Tensor] | None = None
    motion: list[Video] = field(default_factory=list)


def motion_from_poses(
    source: MotionSource, poses: PoseSequence, reference: Image, fps: float, rng: torch.Generator
) -> Video:
    """The training motion signal from cached poses, without running the estimator again
    (the motion source's ``prepare_from_poses``, as the ``pose`` source provides)."""
    from motionctx.errors import RecipeError

    direct = getattr(source, "prepare_from_poses", None)
    if direct is None:
        raise RecipeError(
            f"motion source {source.name!r} cannot take cached keypoints (it has no prepare_from_poses)",
            "use the `pose` motion source, or a prepare stage with poses: false",
        )
    return direct(poses, reference, train=True, rng=rng, fps=fps)


class TrainingData:
    """Map-style dataset: ``data[g]`` is the :class:`TrainBatch` of global batch ``g``."""

    def __init__(
        self,
        clips: list[Clip],
        planner: BatchPlanner,
        motion: MotionSource,
        composer: Composer,
        geometry: Geometry,
        *,
        seed: int,
        text_embeddings: bool = False,
        motion_hint: tuple[int, int] | None = None,
        batches_per_step: int = 1,
    ) -> None:
        self.clips = clips
        self.motion_hint = motion_hint
        self.batches_per_step = batches_per_step
        self.planner = planner
        self.motion = motion
        self.composer = composer
        self.geometry = geometry
        self.seed = seed
        self.text_embeddings = text_embeddings
        self.fit = str(getattr(motion.config, "fit", "crop"))
        self.use_poses = uses_poses(motion)
        self._poses: OrderedDict[str, PoseSequence] = OrderedDict()

    def __len__(self) -> int:  # unbounded in principle; DataLoader only needs a sampler
        return 1 << 62

    def __getitem__(self, index: int) -> TrainBatch:
        plan = self.planner.plan(int(index))
        batch = TrainBatch(plan.index, plan.epoch, [], [], [], [], [] if self.text_embeddings else None)
        for item, (ci, start) in enumerate(zip(plan.clips, plan.starts)):
            clip = self.clips[ci]
            comp, clean, motion = self.sample(
                clip, start, plan.frames, plan.bucket, derive_seed(self.seed, plan.index, item, 2),
                hint=self.hint_weight(plan.index),
            )
            batch.composites.append(comp)
            batch.clean.append(clean)
            batch.motion.append(motion)
            batch.prompts.append(clip.caption)
            batch.ids.append(
                f"{clip.id}[{start}:{start + (plan.frames - 1) * self.planner.stride + 1}:{self.planner.stride}]"
            )
            if batch.text_embeddings is not None and clip.text:
                from safetensors.torch import load_file

                batch.text_embeddings.append(load_file(clip.text)["embedding"])
        if batch.text_embeddings is not None and len(batch.text_embeddings) != len(batch.prompts):
            batch.text_embeddings = None
        return batch

    def window(self, clip: Clip, start: int, frames: int, bucket: tuple[int, int]) -> tuple[Video, Video, Image]:
        """(target at the bucket size, driving window as decoded, reference at the bucket size)."""
        from motionctx.builtins.motion_sources import fit_frames
        from motionctx.engines.inputs import resize_image
        from motionctx.engines.training.video import read_window
        from motionctx.io import read_image
        from motionctx.types import Image, Video

        raw = read_window(clip.path, start, frames, self.planner.stride)
        target = Video(fit_frames(raw.frames, bucket, self.fit), raw.fps / self.planner.stride)
        driving = read_window(clip.driving, start, frames, self.planner.stride) if clip.driving else raw
        driving = Video(driving.frames, target.fps)
        if clip.reference:
            reference = resize_image(read_image(clip.reference), bucket)
        else:
            reference = Image(target.frames[0].contiguous())
        return target, driving, reference

    def hint_weight(self, index: int) -> float:
        """Weight of the target window in the motion signal of global batch ``index``: 1 up to the
        hint's first step, falling linearly to 0 at its second, 0 after (0 with no hint)."""
        if self.motion_hint is None:
            return 0.0
        step = index // self.batches_per_step
        full, end = self.motion_hint
        if step < full:
            return 1.0
        return max(0.0, (end - step) / max(1, end - full))

    def sample(
        self, clip: Clip, start: int, frames: int, bucket: tuple[int, int], seed: int, hint: float = 0.0
    ) -> tuple[Composite, Video, Video]:
        """(composite, clean composite-shaped video, motion signal) for one window; ``hint`` is the
        weight of the target window blended into the motion signal."""
        import torch

        from motionctx.types import Video

        target, driving, reference = self.window(clip, start, frames, bucket)
        rng = torch.Generator().manual_seed(seed)
        if clip.poses and self.use_poses:
            poses = self._slice_poses(clip, start, frames, target.fps)
            motion = motion_from_poses(self.motion, poses, reference, target.fps, rng)
        else:
            motion = self.motion.prepare(driving, reference, train=True, rng=rng)
        if motion.num_frames != frames or motion.size != reference.size:
            raise InputError(
                f"motion source {self.motion.name!r} gave {motion.num_frames} frames of {motion.size} "
                f"for a {frames}-frame window of {reference.size}",
                "a motion source must keep the frame count",
            )
        if hint > 0:
            mixed = hint * target.frames + (1.0 - hint) * motion.frames.to(target.frames.dtype)
            motion = Video(mixed, motion.fps)
        composite = self.composer.compose(reference, motion, self.geometry)
        return composite, composite.with_target(target), motion

    def _slice_poses(self, clip: Clip, start: int, frames: int, fps: float) -> PoseSequence:
        import dataclasses

        from motionctx.pose.files import load_poses

        assert clip.poses is not None
        poses = self._poses.get(clip.poses)
        if poses is None:
            poses = load_poses(Path(clip.poses))
            self._poses[clip.poses] = poses
            while len(self._poses) > 64:
                self._poses.popitem(last=False)
        sl = slice(start, start + (frames - 1) * self.planner.stride + 1, self.planner.stride)
        return dataclasses.replace(poses, keypoints=poses.keypoints[sl], scores=poses.scores[sl], fps=fps)


class GlobalIndices:
    """The global batch indices one process reads, from a given micro-step on (a torch Sampler)."""

    def __init__(self, start_micro: int, total_micro: int, rank: int, world: int) -> None:
        self.start, self.total, self.rank, self.world = start_micro, total_micro, rank, world

    def __iter__(self) -> Any:
        return iter(m * self.world + self.rank for m in range(self.start, self.total))

    def __len__(self) -> int:
        return max(0, self.total - self.start)


def collate_one(batch: TrainBatch) -> TrainBatch:
    """DataLoader ``collate_fn``: items already are whole batches."""
    return batch


class ThreadPrefetch:
    """Iterate ``iterable`` in a background thread, up to ``depth`` items ahead.

    Decoding (PyAV) and tensor work release the GIL, so the next batch is built while the model
    trains on this one, without worker processes. Batches are pure functions of their index, so
    the order and content are the same as without prefetching. An error in the thread is raised
    by ``next``.
    """

    _END = object()

    def __init__(self, iterable: Any, depth: int = 2) -> None:
        import queue
        import threading

        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max(1, depth))
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._fill, args=(iter(iterable),), name="motionctx-prefetch", daemon=True
        )
        self._thread.start()

    def _put(self, item: Any) -> bool:
        import queue

        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _fill(self, it: Any) -> None:
        try:
            for item in it:
                if not self._put(item):
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            self._put(_Failure(exc))
            return
        self._put(self._END)

    def __iter__(self) -> ThreadPrefetch:
        return self

    def __next__(self) -> Any:
        item = self._queue.get()
        if item is self._END:
            raise StopIteration
        if isinstance(item, _Failure):
            raise item.error
        return item

    def close(self) -> None:
        """Stop the thread (it finishes the item it is building)."""
        self._stop.set()
        self._thread.join(timeout=10)


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error
