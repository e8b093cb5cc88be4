"""Every hook a motionctx plugin can implement.

A plugin is a module (or object) with functions decorated by :data:`hookimpl`, named after these
specs. It is discovered through the ``motionctx`` entry-point group::

    [project.entry-points.motionctx]
    my_plugin = "motionctx_my_plugin"

Part hooks receive a ``register`` callable; call it once per part class (classes, never
instances: discovery must stay free of weights and heavy imports). Implementations may accept
fewer arguments than a spec declares, so specs can grow without breaking plugins.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("motionctx")
hookimpl = pluggy.HookimplMarker("motionctx")

#: ``register(part_class)``: adds one part class to the registry for the hook's kind.
Register = Callable[[type], None]


@hookspec
def register_backbones(register: Register) -> None:
    """Register backbone classes (subclasses of :class:`motionctx.parts.Backbone`).

    Called once when plugins load. Example::

        @hookimpl
        def register_backbones(register):
            register(WanI2VBackbone)
    """


@hookspec
def register_motion_sources(register: Register) -> None:
    """Register motion-source classes (subclasses of :class:`motionctx.parts.MotionSource`).

    Called once when plugins load. Example: ``register(PoseMotionSource)``.
    """


@hookspec
def register_pose_estimators(register: Register) -> None:
    """Register pose-estimator classes (subclasses of :class:`motionctx.parts.PoseEstimator`).

    Called once when plugins load. Example: ``register(DWPoseEstimator)``.
    """


@hookspec
def register_composers(register: Register) -> None:
    """Register composer classes (subclasses of :class:`motionctx.parts.Composer`).

    Called once when plugins load. Example: ``register(SpatialComposer)``.
    """


@hookspec
def register_text_guiders(register: Register) -> None:
    """Register text-guider classes (subclasses of :class:`motionctx.parts.TextGuider`).

    Called once when plugins load. Example: ``register(StaticTextGuider)``.
    """


@hookspec
def register_quality_filters(register: Register) -> None:
    """Register quality-filter classes (subclasses of :class:`motionctx.parts.QualityFilter`).

    Called once when plugins load. Example: ``register(SharpnessFilter)``.
    """


@hookspec
def register_scorers(register: Register) -> None:
    """Register scorer classes (subclasses of :class:`motionctx.parts.Scorer`).

    Called once when plugins load. The ``evaluate`` stage scores every generated video with the
    recipe's scorer parts. Example: ``register(PsnrScorer)``.
    """


@hookspec
def register_stages(register: Register) -> None:
    """Register recipe stage classes (subclasses of :class:`motionctx.parts.Stage`).

    Called once when plugins load. A stage's ``name`` is what a recipe writes after ``run:``.
    Example: ``register(AnimateStage)``.
    """


@hookspec
def register_commands(cli: Any) -> None:
    """Add sub-commands to the ``motionctx`` CLI.

    Called when the CLI starts, with the root ``typer.Typer`` app. Keep the command thin and put
    the logic in the library. Example::

        @hookimpl
        def register_commands(cli):
            @cli.command()
            def hello(name: str):
                print(f"hello {name}")
    """
