"""Composer: lays the reference and the motion signal out as one in-context video."""

from __future__ import annotations

from abc import abstractmethod
from typing import TYPE_CHECKING, ClassVar

from motionctx.parts.base import Part

if TYPE_CHECKING:
    from motionctx.types import Composite, Geometry, Image, Video


class Composer(Part):
    """``compose`` builds the :class:`~motionctx.types.Composite`; ``extract`` cuts the output
    (the target region) from a generated composite-shaped video.

    ``geometry`` (the backbone's) lets a composer snap the layout to the frame rule.
    """

    kind: ClassVar[str] = "composer"
    #: Whether the composite carries the motion signal (False for the no-motion baseline).
    uses_motion: ClassVar[bool] = True

    @abstractmethod
    def compose(self, reference: Image, motion: Video, geometry: Geometry | None = None) -> Composite:
        """The in-context composite for ``reference`` driven by ``motion``."""

    def composite_shape(self, frames: int, height: int, width: int, geometry: Geometry | None = None) -> tuple[int, int, int]:
        """``(frames, height, width)`` of the composite built from a ``frames``-long motion signal of
        ``height`` x ``width`` (default: the same; layouts that add frames or width say so)."""
        return frames, height, width

    def extract(self, generated: Video, composite: Composite) -> Video:
        """The target region of ``generated`` (default: ``composite.target``)."""
        return composite.extract(generated)
