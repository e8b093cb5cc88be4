"""Scorer: measures one generated video of a benchmark case (the ``evaluate`` stage's part kind)."""

from __future__ import annotations

from abc import abstractmethod
from typing import TYPE_CHECKING, ClassVar

from motionctx.parts.base import Part

if TYPE_CHECKING:
    from motionctx.engines.evaluation.case import EvalCase
    from motionctx.types import Video


class Scorer(Part):
    """``score(output, case)`` returns named numbers for one output video of one benchmark case.

    ``metrics`` names every number a scorer can return and which way is better (``"higher"`` or
    ``"lower"``); reports sort worst cases first by it. ``needs`` names the case fields a scorer
    cannot work without (``target``, ``background``): a case lacking one is skipped by this scorer,
    not failed. A scorer that cannot score a case for another reason raises a
    :class:`~motionctx.errors.MotionctxError`; the evaluate stage records it as that pair's failure.
    """

    kind: ClassVar[str] = "scorer"
    #: metric name -> "higher" or "lower" (which way is better)
    metrics: ClassVar[dict[str, str]] = {}
    #: case fields this scorer needs (see :meth:`EvalCase.has`)
    needs: ClassVar[tuple[str, ...]] = ()

    def applies(self, case: EvalCase) -> bool:
        """True when ``case`` has everything in :attr:`needs`."""
        return all(case.has(field) for field in self.needs)

    @abstractmethod
    def score(self, output: Video, case: EvalCase) -> dict[str, float]:
        """Metrics of ``output`` (the generated video, at the working size) for ``case``."""
