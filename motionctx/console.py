"""Rich output for the CLI; every user-facing error is rendered here, in one place."""

from __future__ import annotations

import functools
import sys
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

from rich.console import Console
from rich.text import Text

from motionctx.errors import MotionctxError

F = TypeVar("F", bound=Callable[..., Any])

err_console = Console(stderr=True, highlight=False, soft_wrap=True, log_path=False)
out_console = Console(highlight=False, soft_wrap=True)
state = {"traceback": False}


def render_error(exc: MotionctxError) -> None:
    """One red line with the message, one dim line with the hint."""
    err_console.print(Text.assemble(("error: ", "bold red"), exc.message))
    if exc.hint:
        err_console.print(Text(f"hint: {exc.hint}", style="dim"))
    if state["traceback"]:
        traceback.print_exception(exc, file=sys.stderr)


def warn(message: str) -> None:
    err_console.print(Text.assemble(("warning: ", "yellow"), message))


def handle_errors(fn: F) -> F:
    """Decorator for CLI commands: a MotionctxError becomes a rendered message and exit code 2."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        import typer

        try:
            return fn(*args, **kwargs)
        except MotionctxError as exc:
            render_error(exc)
            raise typer.Exit(exc.exit_code) from None

    return wrapper  # type: ignore[return-value]
