"""Entry point of motionctx-toy: registers ``toy_truth``, ``toy_colours``, ``toy_caption`` and the toy stages; importing it also
makes the ``toy_quadruped`` and ``toy_bird`` keypoint formats known to ``motionctx.pose``.
Importing this module loads neither numpy nor torch."""

from __future__ import annotations

import motionctx_toy.skeletons  # noqa: F401  (registers the toy keypoint formats)
from motionctx.hookspecs import hookimpl
from motionctx_toy.colour_pose import ToyColoursEstimator
from motionctx_toy.parts import ToyCaptionGuider, ToyTruthEstimator
from motionctx_toy.stages import ToyDatasetStage, ToyModelStage


@hookimpl
def register_pose_estimators(register) -> None:
    register(ToyTruthEstimator)
    register(ToyColoursEstimator)


@hookimpl
def register_text_guiders(register) -> None:
    register(ToyCaptionGuider)


@hookimpl
def register_stages(register) -> None:
    register(ToyModelStage)
    register(ToyDatasetStage)


@hookimpl
def register_commands(cli) -> None:
    from motionctx_toy.commands import toy_app

    cli.add_typer(toy_app, name="toy")
