"""Quality filter: scores a generated sample so the filter stage can keep the good ones."""

from __future__ import annotations

from abc import abstractmethod
from typing import TYPE_CHECKING, ClassVar

from motionctx.parts.base import Part

if TYPE_CHECKING:
    from motionctx.types import Sample


class QualityFilter(Part):
    """``score`` returns a 1-5 score per named dimension; the filter stage keeps samples whose
    mean passes its threshold (the method: mean of six dimensions > 4)."""

    kind: ClassVar[str] = "quality_filter"
    #: The dimension names ``score`` returns.
    dimensions: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    def score(self, sample: Sample) -> dict[str, float]:
        """Scores in [1, 5] keyed by dimension."""
