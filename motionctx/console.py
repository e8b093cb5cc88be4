"""Rich output for the CLI; every user-facing error is rendered here, in one place."""

from __future__ import annotations

import functools
import os
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


def _show_traceback() -> bool:
    return state["traceback"] or os.environ.get("MOTIONCTX_TRACEBACK", "") not in ("", "0")


def render_error(exc: MotionctxError, *, cause: BaseException | None = None) -> None:
    """One red line with the message, one dim line with the hint (the stack with --traceback)."""
    message = " ".join(line.strip() for line in exc.message.splitlines()) or type(exc).__name__
    err_console.print(Text.assemble(("error: ", "bold red"), message))
    if exc.hint:
        err_console.print(Text(f"hint: {exc.hint}", style="dim"))
    if _show_traceback():
        traceback.print_exception(cause or exc, file=sys.stderr)


def report(exc: BaseException) -> int:
    """Render any exception as one error line and a hint; return the exit code (2: bad input,
    1: an internal fault, which the hint asks to report)."""
    from motionctx.boundary import INTERNAL_EXIT, describe_fault, user_error

    error = user_error(exc)
    if error is not None:
        render_error(error, cause=exc)
        return error.exit_code
    render_error(MotionctxError(*describe_fault(exc)), cause=exc)
    return INTERNAL_EXIT


def warn(message: str) -> None:
    err_console.print(Text.assemble(("warning: ", "yellow"), message))


def handle_errors(fn: F) -> F:
    """Decorator for CLI commands: any exception becomes a rendered message and an exit code
    (see :func:`report`); typer's own exits and usage errors pass through."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        import typer

        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except Exception as exc:  # noqa: BLE001 - the boundary: every exception is reported
            raise typer.Exit(report(exc)) from None

    return wrapper  # type: ignore[return-value]
