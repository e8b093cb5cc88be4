"""Text guider: the prompt the backbone's text encoder receives."""

from __future__ import annotations

from abc import abstractmethod
from typing import TYPE_CHECKING, ClassVar

from motionctx.parts.base import Part

if TYPE_CHECKING:
    from motionctx.types import Image, Video


class TextGuider(Part):
    """``describe`` returns one target description of the reference performing the driving motion."""

    kind: ClassVar[str] = "text_guider"

    @abstractmethod
    def describe(self, reference: Image, driving: Video) -> str:
        """The prompt for this reference and driving video."""
