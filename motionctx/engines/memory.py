"""Will a stage's pictures fit in memory? An estimate made before anything is decoded.

:class:`MemoryPlan` counts the float32 pixel tensors the ``compose`` and ``animate`` stages hold
(the decoded driving clip, the motion signal, composites, the output and previews) from the
frame counts and sizes alone, plus, when the backbone samples on the CPU, the activations of its
forward pass over one segment's composite (:func:`sampling_bytes`, the same estimate
``motionctx recipe plan`` prints); :func:`check_memory` compares that with what the machine has
free and refuses a run that would not fit, naming the setting to change, instead of letting the
operating system kill it. The model's weights are not added: they are already loaded when the
check runs, so what they take is no longer free. Set ``MOTIONCTX_MEMORY_LIMIT`` (``8G``,
``512M``, bytes) to check against another figure.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from motionctx.errors import InputError

__all__ = ["MEMORY_ENV", "MemoryPlan", "available_bytes", "check_memory", "parse_bytes", "sampling_bytes"]

MEMORY_ENV = "MOTIONCTX_MEMORY_LIMIT"
#: a plan may use at most this share of the free memory (the rest: the allocator, the model's
#: activations, other processes)
HEADROOM = 0.8
#: bytes held per pixel of one frame: decoded driving frames (float32 RGB kept, the uint8 decode,
#: an estimator's uint8 copy), working-size frames (motion signal, output, resizing and writing
#: copies), composite frames (pixels, two known masks, the float and uint8 copies made to write
#: or generate it) and preview frames (the joined panels and their encoding). Measured against a
#: compose run of 149 frames at 480x848 (6.6 GB peak, about 0.6 GB of it Python and torch), the
#: plan says 7.2 GB: on the safe side.
DRIVING_BYTES, WORK_BYTES, COMPOSITE_BYTES, PREVIEW_BYTES = 20, 36, 36, 36
_UNITS = {"": 1, "b": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}


def parse_bytes(text: str) -> int:
    """``"8G"``, ``"512m"``, ``"1.5GB"`` or a plain number of bytes."""
    t = text.strip().lower().removesuffix("ib").removesuffix("b")
    unit = t[-1] if t and t[-1] in _UNITS else ""
    try:
        value = float(t[: len(t) - len(unit)] if unit else t)
    except ValueError:
        raise InputError(
            f"{MEMORY_ENV}={text!r} is not an amount of memory", "write e.g. 8G, 512M or 4000000000"
        ) from None
    if not math.isfinite(value) or value <= 0:
        raise InputError(f"{MEMORY_ENV}={text!r} must be a positive amount", "write e.g. 8G")
    return int(value * _UNITS[unit])


def _read_int(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _stat(path: Path, key: str) -> int:
    try:
        for line in path.read_text().splitlines():
            name, _, value = line.partition(" ")
            if name == key and value.strip().isdigit():
                return int(value)
    except OSError:
        pass
    return 0


def _cgroup_free() -> int | None:
    """Free memory under this process's cgroup limit (v2, else v1), reclaimable cache counted free."""
    v2 = Path("/sys/fs/cgroup")
    limit, used = _read_int(v2 / "memory.max"), _read_int(v2 / "memory.current")
    if limit is not None and used is not None:
        return limit - used + _stat(v2 / "memory.stat", "inactive_file")
    v1 = v2 / "memory"
    limit, used = _read_int(v1 / "memory.limit_in_bytes"), _read_int(v1 / "memory.usage_in_bytes")
    if limit is not None and used is not None and limit < 2**60:
        return limit - used + _stat(v1 / "memory.stat", "total_inactive_file")
    return None


def available_bytes() -> int | None:
    """Memory this process can still take: ``$MOTIONCTX_MEMORY_LIMIT`` when set, else the least
    of the system's available memory and the cgroup's free memory; None when unknown."""
    if os.environ.get(MEMORY_ENV):
        return parse_bytes(os.environ[MEMORY_ENV])
    found = [v for v in (_cgroup_free(),) if v is not None]
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                found.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    return max(0, min(found)) if found else None


@dataclass(frozen=True)
class MemoryPlan:
    """The pictures one stage run holds: ``frames`` driving frames decoded at ``driving_size``,
    worked on at ``size`` (H, W), put in composites ``composite_width`` times the working width
    ``segment_frames`` at a time (None: all frames in one), and previews ``preview_height`` high
    (None: no previews)."""

    frames: int
    driving_size: tuple[int, int]
    size: tuple[int, int]
    segment_frames: int | None = None
    composite_width: int = 2
    preview_height: int | None = None
    #: bytes the backbone's sampling needs in this memory on top of its loaded weights
    model_bytes: int = 0

    def per_frame(self) -> float:
        """Bytes held for each driving frame, composites aside."""
        (h, w), (dh, dw) = self.size, self.driving_size
        per = DRIVING_BYTES * dh * dw + WORK_BYTES * h * w
        if self.preview_height:  # four panels at the preview height, each as wide as its aspect says
            ph = self.preview_height
            per += PREVIEW_BYTES * ph * (3 * w * ph / h + dw * ph / dh)
        return per

    def composite_frame(self) -> float:
        """Bytes held for each frame of a composite."""
        return COMPOSITE_BYTES * self.composite_width * self.size[0] * self.size[1]

    def total(self) -> int:
        """Estimated bytes at the peak."""
        in_composite = self.frames if self.segment_frames is None else min(self.segment_frames, self.frames)
        return int(self.frames * self.per_frame() + in_composite * self.composite_frame() + self.model_bytes)

    def frames_that_fit(self, budget: float) -> int:
        """The most driving frames whose plan stays under ``budget`` bytes (0 if none); the
        model's bytes are taken as fixed (those of a full segment)."""
        budget -= self.model_bytes
        n = int(budget / (self.per_frame() + self.composite_frame()))  # all frames in one composite
        if self.segment_frames is not None and n >= self.segment_frames:  # beyond one segment, frames cost less
            n = int((budget - self.segment_frames * self.composite_frame()) / self.per_frame())
        return max(0, n)


def sampling_bytes(backbone: Any, composer: Any, frames: int, size: tuple[int, int], guidance: float = 1.0) -> int:
    """Activation bytes of one forward pass of ``backbone`` over the composite ``composer`` builds
    from ``frames`` frames of ``size`` at ``guidance`` (twice as many where the backbone batches the
    guided passes), when the backbone runs on the CPU (0 on a GPU, whose memory this check does not
    cover, or for a backbone that cannot be planned)."""
    from motionctx.errors import MotionctxError

    device = getattr(backbone, "device", None)
    if device is None or getattr(device, "type", str(device)) != "cpu":
        return 0
    try:
        model = backbone.planned_model()
    except (MotionctxError, NotImplementedError):
        return 0
    shape = composer.composite_shape(frames, *size, backbone.geometry)
    return int(backbone.sampling_batch(guidance) * model.inference_bytes(model.tokens(*shape), model.dtype_bytes))


def _gb(n: float) -> str:
    return f"{n / 2**30:.1f} GB" if n >= 2**30 else f"{n / 2**20:.0f} MB"


def check_memory(plan: MemoryPlan, *, stage: str, key: str, available: int | None = None) -> None:
    """Refuse ``plan`` when it needs more than :data:`HEADROOM` of the free memory: one
    InputError saying how much it needs and has, and which settings (under ``key``, e.g.
    ``stages.0.with``) bring it down. Unknown free memory is not checked."""
    free = available_bytes() if available is None else available
    need = plan.total()
    if free is None or need <= HEADROOM * free:
        return
    (h, w), (dh, dw) = plan.size, plan.driving_size
    fit = plan.frames_that_fit(HEADROOM * free)
    fewer = f"fewer frames (--set {key}.max_frames={fit}), " if fit >= 1 else ""
    previews = f", or --set {key}.previews=false" if plan.preview_height else ""
    raise InputError(
        f"{stage}: {plan.frames} frames at {h}x{w} (H x W; driving clip decoded at {dh}x{dw}) need about "
        f"{_gb(need)} of memory, more than a run may take here ({HEADROOM:.0%} of the {_gb(free)} free)",
        f"use {fewer}a smaller working size (--set {key}.area=N, .size=[H,W] or .max_area=N){previews}; "
        f"{MEMORY_ENV} sets the free figure",
    )
