"""Entry point of motionctx-toy: registers ``toy_truth`` and ``toy_caption``; importing it also
makes the ``toy_quadruped`` and ``toy_bird`` keypoint formats known to ``motionctx.pose``.
Importing this module loads neither numpy nor torch."""

from __future__ import annotations

import motionctx_toy.skeletons  # noqa: F401  (registers the toy keypoint formats)
from motionctx.hookspecs import hookimpl
from motionctx_toy.parts import ToyCaptionGuider, ToyTruthEstimator


@hookimpl
def register_pose_estimators(register) -> None:
    register(ToyTruthEstimator)


@hookimpl
def register_text_guiders(register) -> None:
    register(ToyCaptionGuider)
