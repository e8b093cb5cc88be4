"""Scorer parts in the ``filter`` stage: their metrics mapped onto the filter's 1-5 scale.

A scorer returns raw numbers (a flicker of 0.02, a consistency of 0.93); the filter stage keeps a
sample when the mean of its 1-5 scores passes a threshold. Each metric a recipe uses is given a
``[worst, best]`` pair: the value at ``worst`` (or beyond it) scores 1, at ``best`` (or beyond) 5,
linearly in between. ``worst`` is above ``best`` for a metric where lower is better. A metric the
scorer could not measure (absent or NaN) scores 1.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from motionctx.errors import RecipeError

if TYPE_CHECKING:
    from motionctx.engines.evaluation.case import EvalCase
    from motionctx.parts import Scorer
    from motionctx.types import Sample, Video

#: metric name -> (worst, best)
Scales = dict[str, tuple[float, float]]


def to_five(value: float | None, worst: float, best: float) -> float:
    """``value`` on the 1-5 scale: 1 at ``worst``, 5 at ``best``, linear and clamped; 1 when unmeasured."""
    if value is None or not math.isfinite(value):
        return 1.0
    return 1.0 + 4.0 * min(1.0, max(0.0, (value - worst) / (best - worst)))


def check_scales(slot: str, scorer: type[Scorer], scales: Scales, where: str) -> None:
    """RecipeError unless every metric in ``scales`` is one ``scorer`` returns, its pair runs the way
    the metric improves, and the scorer needs nothing a synthesized sample lacks."""
    from motionctx.suggest import closest

    if scorer.needs:
        raise RecipeError(f"{where}.{slot}: scorer {scorer.name!r} needs {', '.join(scorer.needs)}, which "
                          "synthesized samples do not have", "use a scorer that needs no ground truth")
    if not scales:
        raise RecipeError(f"{where}.{slot}: no metric chosen", f"write e.g. {{{next(iter(scorer.metrics), 'metric')}: "
                          "[worst, best]}")
    for metric, (worst, best) in scales.items():
        direction = scorer.metrics.get(metric)
        if direction is None:
            match = closest(metric, list(scorer.metrics))
            raise RecipeError(f"{where}.{slot}.{metric}: scorer {scorer.name!r} has no metric {metric!r}",
                              f"did you mean {match!r}?" if match else f"metrics: {', '.join(scorer.metrics)}")
        if (best > worst) != (direction == "higher") or worst == best:
            raise RecipeError(
                f"{where}.{slot}.{metric}: [worst, best] = [{worst}, {best}], but {direction} is better",
                f"write [worst, best] with best {'above' if direction == 'higher' else 'below'} worst",
            )


def sample_case(sample: Sample, output: Video) -> EvalCase:
    """A synthesized ``sample`` as an evaluation case for scorers: the reference and the driving
    clip fitted to ``output``'s size, the driving clip cut to its frame count. The case id and
    file paths (for ``{case.NAME}`` placeholders) come from ``sample.metadata``."""
    from motionctx.engines.evaluation.case import CaseSpec, EvalCase, fit_to
    from motionctx.types import Image, Video

    meta: dict[str, Any] = sample.metadata or {}
    spec = CaseSpec(str(meta.get("id", "sample")), Path(str(meta.get("reference", "reference"))),
                    Path(str(meta.get("driving", "driving"))))
    size = output.size
    reference = Image(fit_to(sample.reference.pixels[None], size)[0].contiguous())
    driving = sample.driving
    if driving is None:
        driving = Video(reference.pixels[None].expand(output.num_frames, -1, -1, -1).contiguous(), output.fps)
    frames = fit_to(driving.frames[: output.num_frames], size).contiguous()
    return EvalCase(spec, reference, Video(frames, driving.fps))
