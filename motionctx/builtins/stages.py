"""Built-in recipe stages."""

from __future__ import annotations

from motionctx.hookspecs import hookimpl


@hookimpl
def register_stages(register) -> None:
    """Registered parts are added with the engines."""
