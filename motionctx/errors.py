"""Errors that motionctx reports to users.

Every error carries a ``hint`` that says how to fix the problem. The CLI renders them in one
place (``motionctx.console``) as one red line plus the hint and exits with ``exit_code``.
"""

from __future__ import annotations


class MotionctxError(Exception):
    """Base class of every error meant for a user: what went wrong, where, and how to fix it."""

    exit_code: int = 2

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class InputError(MotionctxError):
    """Bad user input: an unreadable file, wrong shapes, too few frames."""


class RecipeError(MotionctxError):
    """A recipe that cannot be loaded or does not validate.

    ``file`` and ``key`` locate the problem; both are part of the message.
    """

    def __init__(
        self, message: str, hint: str | None = None, *, file: str | None = None, key: str | None = None
    ) -> None:
        where = ":".join(p for p in (file, key) if p)
        super().__init__(f"{where}: {message}" if where else message, hint)
        self.file = file
        self.key = key


class MissingDistributionError(RecipeError):
    """A recipe ``requires:`` a distribution that is not installed (or too old)."""


class PluginError(MotionctxError):
    """A plugin failed to import or register."""


class UnknownPartError(MotionctxError):
    """A part name that no installed plugin provides."""


class DuplicatePartError(PluginError):
    """Two distributions register the same part name for the same kind."""


class WeightsError(MotionctxError):
    """Model weights missing, incomplete or unreadable."""
