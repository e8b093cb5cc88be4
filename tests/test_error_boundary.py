"""The CLI's error boundary: whatever a command raises becomes one error line and a hint; exit 2
for bad input (the library's errors and the OS's path, disk and memory errors), 1 for an internal
fault, with the stack only on request."""

from __future__ import annotations

import errno
from typing import Any

import pytest

from motionctx.cli import run
from motionctx.console import handle_errors
from motionctx.hookspecs import hookimpl
from motionctx.testing import register_plugin

from .test_bad_inputs import first_error

RAISES = {
    "bug": lambda: 1 / 0,
    "disk-full": lambda: (_ for _ in ()).throw(OSError(errno.ENOSPC, "No space left on device", "/data/out.mp4")),
    "read-only": lambda: (_ for _ in ()).throw(PermissionError(errno.EACCES, "Permission denied", "/data")),
    "memory": lambda: (_ for _ in ()).throw(MemoryError()),
    "recursion": lambda: (_ for _ in ()).throw(RecursionError("maximum recursion depth exceeded")),
}


class FaultyPlugin:
    """A third-party plugin whose commands fail in every way; ``raw`` ones lack ``handle_errors``."""

    @hookimpl
    def register_commands(self, cli: Any) -> None:
        for name, fail in RAISES.items():
            cli.command(f"raw-{name}")(lambda fail=fail: fail())
            cli.command(f"wrapped-{name}")(handle_errors(lambda fail=fail: fail()))


@pytest.fixture(autouse=True)
def faulty() -> Any:
    with register_plugin(FaultyPlugin()) as plugins:
        yield plugins


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    capsys.readouterr()
    code = run(list(argv))
    out, err = capsys.readouterr()
    return code, out + err


@pytest.mark.parametrize("kind", ["raw", "wrapped"])
def test_an_internal_fault_is_one_line_asking_for_a_report(kind: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, text = _cli(capsys, f"{kind}-bug")
    assert code == 1 and "Traceback" not in text
    line = first_error(text)
    assert line.startswith("error: internal error: ZeroDivisionError: division by zero (at test_error_boundary.py:")
    assert "please report it" in text and "--traceback" in text


@pytest.mark.parametrize(
    ("name", "message", "hint"),
    [
        ("disk-full", "cannot use '/data/out.mp4': No space left on device", "the disk is full"),
        ("read-only", "cannot use '/data': Permission denied", "check the permissions"),
        ("memory", "out of memory: the inputs are too large", "use smaller inputs"),
        ("recursion", "an input is nested too deeply", "flatten"),
    ],
)
@pytest.mark.parametrize("kind", ["raw", "wrapped"])
def test_environment_and_input_failures_exit_2(
    kind: str, name: str, message: str, hint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, text = _cli(capsys, f"{kind}-{name}")
    assert code == 2 and "Traceback" not in text
    assert first_error(text).startswith(f"error: {message}") and f"hint: {hint}" in text


def test_traceback_on_request(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, text = _cli(capsys, "--traceback", "raw-bug")
    assert code == 1 and "Traceback" in text and "ZeroDivisionError" in text
    monkeypatch.setenv("MOTIONCTX_TRACEBACK", "1")
    code, text = _cli(capsys, "wrapped-disk-full")
    assert code == 2 and "Traceback" in text and "hint: the disk is full" in text


def test_usage_errors_are_one_line_with_a_hint(capsys: pytest.CaptureFixture[str]) -> None:
    code, text = _cli(capsys, "recipe", "validate")
    assert code == 2 and first_error(text).lower() == "error: missing argument 'file'."
    assert "hint: see `motionctx recipe validate --help`" in text
