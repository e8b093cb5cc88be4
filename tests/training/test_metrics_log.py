"""The training log read back as one run, across a resume from an earlier checkpoint."""

from __future__ import annotations

from pathlib import Path

from motionctx.engines.training.metrics import MetricsLog, read_metrics


def test_a_resumed_run_replaces_the_steps_the_stopped_run_logged_past_its_checkpoint(tmp_path: Path) -> None:
    stopped = MetricsLog(tmp_path, tensorboard=False)
    for step in (1, 2, 3, 4):  # killed after logging step 4; its last checkpoint was at step 2
        stopped.write({"step": step, "loss": 1.0, "run": "stopped"})
    resumed = MetricsLog(tmp_path, tensorboard=False)
    for step in (3, 4, 5):
        resumed.write({"step": step, "loss": 0.5, "run": "resumed"})
    rows = read_metrics(tmp_path)
    assert [(r["step"], r["run"]) for r in rows] == [(1, "stopped"), (2, "stopped"), (3, "resumed"), (4, "resumed"),
                                                     (5, "resumed")]
    resumed.write({"step": 6, "loss": 0.4, "run": "resumed"})
    assert [r["step"] for r in read_metrics(tmp_path)] == [1, 2, 3, 4, 5, 6]
