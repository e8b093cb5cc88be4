"""What stops training cleanly: SIGINT/SIGTERM, a non-finite loss, running out of memory."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from motionctx.errors import MotionctxError

__all__ = [
    "StopRequest",
    "TrainingDiverged",
    "TrainingInterrupted",
    "ignore_signals",
    "memory_advice",
    "stop_on_signals",
]


class TrainingInterrupted(MotionctxError):
    """Training stopped on a signal after saving a checkpoint; exit code 128 + signal number."""

    def __init__(
        self, message: str, hint: str | None = None, *, signum: int = signal.SIGINT, checkpoint: Path | None = None
    ) -> None:
        super().__init__(message, hint)
        self.exit_code = 128 + int(signum)
        self.checkpoint = checkpoint


class TrainingDiverged(MotionctxError):
    """The loss or the gradient became NaN or infinite; nothing of that step was applied."""

    def __init__(
        self, message: str, hint: str | None = None, *, step: int, batch_ids: list[str], checkpoint: Path | None
    ) -> None:
        super().__init__(message, hint)
        self.step = step
        self.batch_ids = batch_ids
        self.checkpoint = checkpoint


class StopRequest:
    """Set by a signal handler; the training loop checks it after every step."""

    def __init__(self) -> None:
        self.signum: int | None = None

    def __bool__(self) -> bool:
        return self.signum is not None


@contextmanager
def stop_on_signals(request: StopRequest) -> Iterator[StopRequest]:
    """While the block runs, SIGINT and SIGTERM set ``request`` (a second SIGINT interrupts at
    once). Only possible in the main thread; elsewhere the block runs unguarded."""
    if threading.current_thread() is not threading.main_thread():
        yield request
        return
    previous: dict[int, Any] = {}

    def handler(signum: int, frame: Any) -> None:
        if request.signum is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt
        request.signum = signum

    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.signal(sig, handler)
    try:
        yield request
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def ignore_signals(worker_id: int = 0) -> None:
    """DataLoader ``worker_init_fn``: Ctrl-C and SIGTERM reach the whole process group, but only
    the training process should react (checkpoint, then stop its workers itself)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def memory_advice(config: Any, *, frames: int, size: tuple[int, int], batch: int) -> str:
    """The settings that lower memory, given the current ones."""
    tips = []
    if batch > 1:
        tips.append(f"batch_size: 1 with gradient_accumulation: {batch * config.gradient_accumulation}")
    if not config.gradient_checkpointing:
        tips.append("gradient_checkpointing: true")
    if config.mixed_precision in (None, "no"):
        tips.append("mixed_precision: bf16")
    tips.append(
        f"fewer frames (frames: [{config.frames[0]}, {max(config.frames[0], frames - 16)}]; this batch had {frames})"
    )
    tips.append(f"smaller buckets (this batch was {size[0]}x{size[1]})")
    if config.mode == "lora" and config.lora_rank > 64:
        tips.append(f"a lower lora_rank (now {config.lora_rank})")
    if config.mode == "full":
        tips.append("mode: lora")
    tips.append("sharding with recipes/accelerate/fsdp.yaml or deepspeed_zero2/3.yaml")
    tips.append("the backbone's offload / vae_tiling options")
    return "; ".join(tips)
