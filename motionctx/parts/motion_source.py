"""Motion source: turns a driving video into the motion signal the composer places beside the reference."""

from __future__ import annotations

from abc import abstractmethod
from typing import TYPE_CHECKING, ClassVar

from motionctx.parts.base import Part

if TYPE_CHECKING:
    import torch

    from motionctx.types import Image, Video


class MotionSource(Part):
    """``prepare`` returns the motion signal at the reference's size, with the driving frame count.

    ``train=True`` enables training-only augmentation, drawn from ``rng``.
    """

    kind: ClassVar[str] = "motion_source"

    @abstractmethod
    def prepare(
        self, driving: Video, reference: Image, *, train: bool = False, rng: torch.Generator | None = None
    ) -> Video:
        """The motion video for ``driving``: its frame count, the reference's size."""
