"""Wall-clock time of the README's main job, ``motionctx recipe run recipes/demo.yaml``, on this machine.

Runs the real command in a fresh process (interpreter start, plugin discovery, model loading,
sampling, video and preview encoding: everything a user waits for) ``--repeats`` times into a
temporary folder and reports each run; the target is under 60 s on 2 CPU cores.

    python benchmarks/demo_time.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 60.0


def run_once(out: Path) -> float:
    cli = Path(sys.executable).with_name("motionctx")
    cmd = [str(cli), "recipe", "run", str(REPO / "recipes" / "demo.yaml"), "--set", f"output={out}"]
    start = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=REPO, capture_output=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    elapsed = time.perf_counter() - start
    if not (out / "run.json").is_file():  # every recipe run ends by writing run.json
        raise SystemExit(f"the demo wrote no {out / 'run.json'}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="motionctx-demo-"))
    try:
        times = [run_once(tmp / f"run{i}") for i in range(args.repeats)]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("| run | seconds |\n|---|---|")
    for i, t in enumerate(times):
        print(f"| {i + 1} | {t:.1f} |")
    print(f"cpu cores: {os.cpu_count()}, torch threads: default")
    worst = max(times)
    print(f"RESULT demo_seconds={statistics.median(times):.1f} demo_seconds_max={worst:.1f} "
          f"under_target={'yes' if worst < TARGET_SECONDS else 'no'}")


if __name__ == "__main__":
    main()
