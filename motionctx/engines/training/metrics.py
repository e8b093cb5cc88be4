"""Training metrics: a JSONL log (always) and TensorBoard (when installed and wanted).

After a resume the log may hold a step twice (the run that crashed logged past its last
checkpoint); :func:`read_metrics` reads it as one run.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from motionctx.io import append_jsonl, read_jsonl

__all__ = ["MetricsLog", "read_metrics"]


def read_metrics(folder: Path) -> list[dict[str, Any]]:
    """The logged steps of ``<folder>/metrics.jsonl`` in order, as one run: where a resumed run
    logs a step again, the lines the stopped run wrote from that step on are dropped."""
    rows: list[dict[str, Any]] = []
    for row in read_jsonl(Path(folder) / "metrics.jsonl"):
        if "step" not in row:
            continue
        while rows and rows[-1]["step"] >= row["step"]:
            rows.pop()
        rows.append(row)
    return rows


class MetricsLog:
    """Appends one JSON object per logged step to ``<folder>/metrics.jsonl``."""

    def __init__(self, folder: Path, *, tensorboard: bool = True, enabled: bool = True) -> None:
        self.path = folder / "metrics.jsonl"
        self.enabled = enabled
        self._tb: Any = None
        if enabled and tensorboard and importlib.util.find_spec("tensorboard") is not None:
            from torch.utils.tensorboard import SummaryWriter

            self._tb = SummaryWriter(log_dir=str(folder / "tensorboard"))

    @property
    def tensorboard(self) -> bool:
        return self._tb is not None

    def write(self, record: dict[str, Any]) -> None:
        if not self.enabled:
            return
        append_jsonl(self.path, record)
        if self._tb is not None:
            step = int(record["step"])
            for k, v in record.items():
                if k != "step" and isinstance(v, (int, float)) and not isinstance(v, bool):
                    self._tb.add_scalar(f"train/{k}", v, step)

    def close(self) -> None:
        if self._tb is not None:
            self._tb.flush()
            self._tb.close()
            self._tb = None
