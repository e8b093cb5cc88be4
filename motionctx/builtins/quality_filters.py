"""Built-in weight-free quality filters."""

from __future__ import annotations

from motionctx.hookspecs import hookimpl


@hookimpl
def register_quality_filters(register) -> None:
    """Registered parts are added with the synthesis/filter stages."""
