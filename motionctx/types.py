"""The data that flows between parts (DESIGN section 3).

Tensors are validated on construction; a wrong shape, dtype or range raises
:class:`~motionctx.errors.InputError` saying what was expected. torch is imported lazily so that
plugin discovery stays light.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from motionctx.errors import InputError

if TYPE_CHECKING:
    import torch

__all__ = ["Composite", "Geometry", "Image", "PoseSequence", "Region", "Sample", "Skeleton", "Video"]


def _check_pixels(t: Any, what: str, ndim: int, layout: str) -> None:
    import torch

    if not isinstance(t, torch.Tensor):
        raise InputError(f"{what}: expected a torch.Tensor {layout}, got {type(t).__name__}")
    if t.ndim != ndim or t.shape[-3] != 3:
        raise InputError(
            f"{what}: expected shape {layout} with 3 colour channels, got {tuple(t.shape)}",
            "frames are channel-first RGB; use Video.from_uint8 for [T, H, W, 3] uint8 arrays",
        )
    if t.dtype != torch.float32:
        raise InputError(f"{what}: expected float32, got {t.dtype}", "convert with .float() / 255")
    if t.numel() and (float(t.min()) < 0.0 or float(t.max()) > 1.0):
        raise InputError(
            f"{what}: values must lie in [0, 1], got [{float(t.min()):.3g}, {float(t.max()):.3g}]",
            "backbones convert to their own range internally; pass [0, 1] pixels",
        )


@dataclass(frozen=True)
class Image:
    """One RGB frame: ``pixels`` float32 ``[3, H, W]`` in [0, 1]."""

    pixels: torch.Tensor

    def __post_init__(self) -> None:
        _check_pixels(self.pixels, "Image", 3, "[3, H, W]")

    @property
    def size(self) -> tuple[int, int]:
        """``(H, W)``."""
        return int(self.pixels.shape[1]), int(self.pixels.shape[2])


@dataclass(frozen=True)
class Video:
    """Frames float32 ``[T, 3, H, W]`` in [0, 1] plus their rate in frames per second.

    ``start`` is the index, in the file it was read from, of the first frame (0 for a whole video
    or a cut that keeps its beginning): a keypoint file made from the whole video lines up with
    any contiguous cut of it through it.
    """

    frames: torch.Tensor
    fps: float = 16.0
    start: int = 0

    def __post_init__(self) -> None:
        _check_pixels(self.frames, "Video", 4, "[T, 3, H, W]")
        if self.frames.shape[0] < 1:
            raise InputError("Video: has no frames", "check the file or the frame range you asked for")
        if not self.fps > 0:
            raise InputError(f"Video: fps must be positive, got {self.fps}")
        if not isinstance(self.start, int) or self.start < 0:
            raise InputError(f"Video: start must be a frame index >= 0, got {self.start!r}")

    @classmethod
    def from_uint8(cls, array: Any, fps: float = 16.0, start: int = 0) -> Video:
        """Build from a uint8 array or tensor ``[T, H, W, 3]``."""
        import torch

        t = torch.as_tensor(array)
        if t.ndim != 4 or t.shape[-1] != 3:
            raise InputError(f"Video.from_uint8: expected [T, H, W, 3], got {tuple(t.shape)}")
        out = torch.empty((t.shape[0], 3, t.shape[1], t.shape[2]), dtype=torch.float32)
        out.copy_(t.permute(0, 3, 1, 2))  # one float copy: long clips are large
        return cls(out.div_(255.0), fps, start)

    def to_uint8(self) -> torch.Tensor:
        """Frames as uint8 ``[T, H, W, 3]`` (rounded)."""
        import torch

        return self.frames.mul(255.0).round_().clamp_(0, 255).to(torch.uint8).permute(0, 2, 3, 1)

    @property
    def num_frames(self) -> int:
        return int(self.frames.shape[0])

    @property
    def size(self) -> tuple[int, int]:
        """``(H, W)``."""
        return int(self.frames.shape[2]), int(self.frames.shape[3])

    def frame(self, index: int) -> Image:
        return Image(self.frames[index])


@dataclass(frozen=True)
class Skeleton:
    """A keypoint format as data.

    ``groups`` name anatomical groups (for bone-length scaling) as tuples of edge indices;
    ``parents[k]`` is the kinematic parent of keypoint ``k`` (-1 for the root and for points
    outside the tree); ``colors`` are RGB 0-255 per edge.
    """

    name: str
    keypoints: tuple[str, ...]
    edges: tuple[tuple[int, int], ...]
    root: int = 0
    parents: tuple[int, ...] = ()
    groups: dict[str, tuple[int, ...]] = field(default_factory=dict)
    colors: tuple[tuple[int, int, int], ...] = ()

    def __post_init__(self) -> None:
        k = len(self.keypoints)
        for a, b in self.edges:
            if not (0 <= a < k and 0 <= b < k):
                raise InputError(f"Skeleton {self.name}: edge ({a}, {b}) outside {k} keypoints")
        if self.parents and len(self.parents) != k:
            raise InputError(f"Skeleton {self.name}: {len(self.parents)} parents for {k} keypoints")

    @property
    def num_keypoints(self) -> int:
        return len(self.keypoints)

    def index(self, name: str) -> int:
        return self.keypoints.index(name)


@dataclass(frozen=True)
class PoseSequence:
    """Keypoints ``[T, P, K, 2]`` in pixels (x, y), ``scores [T, P, K]``, for a frame ``size (H, W)``.

    ``P`` is the number of people (0 allowed: nobody detected). A score of 0 marks a missing joint.
    """

    keypoints: torch.Tensor
    scores: torch.Tensor
    skeleton: Skeleton
    size: tuple[int, int]
    fps: float = 16.0

    def __post_init__(self) -> None:
        import torch

        kp, sc = self.keypoints, self.scores
        if not isinstance(kp, torch.Tensor) or kp.ndim != 4 or kp.shape[-1] != 2:
            raise InputError(f"PoseSequence: keypoints must be [T, P, K, 2], got {tuple(getattr(kp, 'shape', ()))}")
        if not isinstance(sc, torch.Tensor) or tuple(sc.shape) != tuple(kp.shape[:3]):
            raise InputError(
                f"PoseSequence: scores must be [T, P, K] = {tuple(kp.shape[:3])}, got {tuple(getattr(sc, 'shape', ()))}"
            )
        if kp.shape[2] != self.skeleton.num_keypoints:
            raise InputError(
                f"PoseSequence: {kp.shape[2]} keypoints but skeleton {self.skeleton.name} has "
                f"{self.skeleton.num_keypoints}"
            )

    @property
    def num_frames(self) -> int:
        return int(self.keypoints.shape[0])

    @property
    def num_people(self) -> int:
        return int(self.keypoints.shape[1])


@dataclass(frozen=True)
class Region:
    """Where the output lives inside a composite: a frame range and a pixel box."""

    frames: tuple[int, int]
    top: int
    left: int
    height: int
    width: int


@dataclass(frozen=True)
class Composite:
    """The in-context input: ``video [T', 3, H', W']``, per-region ``known`` masks ``[T', 1, H', W']``
    (1 = the backbone is given these pixels), and the ``target`` region to cut the output from."""

    video: Video
    known: dict[str, torch.Tensor]
    target: Region
    layout: str = "spatial"

    def __post_init__(self) -> None:
        t, _, h, w = self.video.frames.shape
        for name, m in self.known.items():
            if tuple(m.shape) != (t, 1, h, w):
                raise InputError(f"Composite: mask {name!r} is {tuple(m.shape)}, expected {(t, 1, h, w)}")

    def known_union(self) -> torch.Tensor:
        """The union of all known masks ``[T', 1, H', W']``."""
        masks = list(self.known.values())
        out = masks[0].clone()
        for m in masks[1:]:
            out = out.maximum(m)
        return out

    def with_target(self, target: Video) -> Video:
        """The composite with ``target`` pasted into the target region: the clean training video."""
        r = self.target
        n = r.frames[1] - r.frames[0]
        want = (n, 3, r.height, r.width)
        if tuple(target.frames.shape) != want:
            raise InputError(f"Composite.with_target: target is {tuple(target.frames.shape)}, expected {want}")
        out = self.video.frames.clone()
        out[r.frames[0] : r.frames[1], :, r.top : r.top + r.height, r.left : r.left + r.width] = target.frames
        return Video(out, self.video.fps)

    def extract(self, generated: Video) -> Video:
        """Cut the target region out of a generated composite-shaped video."""
        if generated.frames.shape != self.video.frames.shape:
            raise InputError(
                f"Composite.extract: generated video is {tuple(generated.frames.shape)}, "
                f"expected the composite's {tuple(self.video.frames.shape)}"
            )
        r = self.target
        f = generated.frames[r.frames[0] : r.frames[1], :, r.top : r.top + r.height, r.left : r.left + r.width]
        return Video(f.contiguous(), generated.fps)


@dataclass(frozen=True)
class Geometry:
    """What sizes a backbone accepts: frames ``temporal_factor * k + 1``, sides a multiple of
    ``size_multiple`` (VAE factor x patch size)."""

    spatial_factor: int = 8
    temporal_factor: int = 4
    size_multiple: int = 16
    max_frames: int = 121

    def snap_frames(self, n: int) -> int:
        """The largest valid frame count <= n (at least 1)."""
        if n < 1:
            raise InputError(f"need at least 1 frame, got {n}")
        return ((n - 1) // self.temporal_factor) * self.temporal_factor + 1

    def snap_size(self, height: int, width: int) -> tuple[int, int]:
        """Round each side to the nearest multiple of ``size_multiple`` (halves up; at least one)."""
        m = self.size_multiple
        return max(m, int(height / m + 0.5) * m), max(m, int(width / m + 0.5) * m)


@dataclass
class Sample:
    """One training or evaluation example. Batches are lists of Samples stacked by the engine."""

    reference: Image
    motion: Video | None = None
    target: Video | None = None
    driving: Video | None = None
    text: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
