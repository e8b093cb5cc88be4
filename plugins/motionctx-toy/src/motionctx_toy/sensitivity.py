"""Does a trained model look at its motion signal? A cheap check to run before sampling anything.

For held-out cross-identity cases the backbone's own training loss is computed three times with the
same noise levels and noise: with the case's motion signal, with the motion signal of another case,
and with an empty (black) motion signal. A model that animates from its motion signal has a clearly
lower loss with its own; a model that ignores it scores the three alike. Only the public
``Backbone.training_loss`` is used, so any backbone and composer can be checked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from motionctx.errors import InputError

if TYPE_CHECKING:
    from motionctx.parts import Backbone, Composer
    from motionctx.types import Video
    from motionctx_toy.world import CrossIdentityCase

MODES = ("own", "other", "blank")


def motion_sensitivity(
    backbone: Backbone,
    composer: Composer,
    motion_for: Callable[[CrossIdentityCase], Video],
    cases: list[CrossIdentityCase],
    *,
    draws: int = 4,
    seed: int = 0,
) -> dict[str, Any]:
    """Mean training loss per mode over ``cases`` x ``draws`` noise draws.

    ``motion_for(case)`` returns the motion signal for a case (the "own" signal; "other" uses the
    next case's, "blank" zeros of the same shape). Returns ``{"own", "other", "blank"}`` losses and
    ``gap_other`` / ``gap_blank``: how much higher those are than "own", relative to it.
    """
    import torch

    from motionctx.types import Video

    if len(cases) < 2:
        raise InputError(f"motion_sensitivity needs at least 2 cases (one lends the other its motion), got {len(cases)}")
    if draws < 1:
        raise InputError(f"draws must be >= 1, got {draws}")
    motions = [motion_for(c) for c in cases]
    totals = dict.fromkeys(MODES, 0.0)
    with torch.no_grad():
        for i, case in enumerate(cases):
            own = motions[i]
            signals = {
                "own": own,
                "other": motions[(i + 1) % len(cases)],
                "blank": Video(torch.zeros_like(own.frames), own.fps),
            }
            for mode, motion in signals.items():
                composite = composer.compose(case.reference, motion, backbone.geometry)
                clean = composite.with_target(case.target.video)
                for d in range(draws):
                    g = torch.Generator().manual_seed(seed + 1000 * i + d)
                    loss = backbone.training_loss([composite], [clean], [case.target.caption], generator=g)
                    totals[mode] += float(loss) / (len(cases) * draws)
    out: dict[str, Any] = dict(totals)
    out["gap_other"] = (totals["other"] - totals["own"]) / max(totals["own"], 1e-12)
    out["gap_blank"] = (totals["blank"] - totals["own"]) / max(totals["own"], 1e-12)
    return out
