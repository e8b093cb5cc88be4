"""``distributed.barrier`` waits on its own group, as long as ``WAIT_HOURS`` says (real processes, gloo)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

#: rank 1 sleeps before the barrier; rank 0 prints how long it waited. ``WAIT_HOURS`` comes from argv.
SCRIPT = """
import sys, time
from motionctx.engines.training import distributed
distributed.WAIT_HOURS = float(sys.argv[1])
distributed.init()
rank = distributed.rank_and_world()[0]
if rank == 1:
    time.sleep(float(sys.argv[2]))
started = time.perf_counter()
distributed.barrier()
print(f"waited {time.perf_counter() - started:.2f}")
"""


def _launch(wait_hours: float, late: float) -> list[subprocess.CompletedProcess]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK")}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", SCRIPT, str(wait_hours), str(late)],
            env={**base, "RANK": str(r), "LOCAL_RANK": str(r), "WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1",
                 "MASTER_PORT": str(port), "OMP_NUM_THREADS": "1"},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for r in (0, 1)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]  # reads the pipes as they fill, then waits
    return [subprocess.CompletedProcess(p.args, p.returncode, *out) for p, out in zip(procs, outputs)]


def test_barrier_waits_for_the_late_process() -> None:
    first, second = _launch(24.0, 2.0)
    assert (first.returncode, second.returncode) == (0, 0), first.stderr + second.stderr
    assert float(first.stdout.split()[-1]) > 1.5


def test_barrier_gives_up_after_wait_hours_not_the_groups_default() -> None:
    """One second of WAIT_HOURS against a process 6 s late: the barrier fails, so it is the
    waiting group's timeout that counts (the default group's is 30 minutes)."""
    started = time.perf_counter()
    first, _ = _launch(1 / 3600, 6.0)
    assert first.returncode != 0 and "waited" not in first.stdout
    assert "timed out" in first.stderr.lower() or "timeout" in first.stderr.lower(), first.stderr[-2000:]
    assert time.perf_counter() - started < 60
