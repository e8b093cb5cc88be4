"""How fast the toy world draws training data on one core.

Renders seeded clips (character + motion + background + rendering + masks + keypoints, exactly
what training draws on the fly) and prints clips per second for several settings. The RESULT line
reports single-character 64x64 clips of 9 frames over all families, in wall-clock time with one
thread (``cpu_clips_per_s`` uses process CPU time, which is steadier on a busy machine).

    python plugins/motionctx-toy/benchmarks/toy_world_speed.py [--seconds 3]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import torch


def measure(fn: Callable[[int], object], seconds: float) -> tuple[float, float]:
    """(wall, cpu) calls per second of ``fn(i)`` for i = 0, 1, ... over about ``seconds``."""
    fn(0)
    n, wall0, cpu0 = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - wall0 < seconds:
        fn(n)
        n += 1
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return n / wall, n / max(cpu, 1e-9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time spent per row")
    args = parser.parse_args()
    torch.set_num_threads(1)

    from motionctx_toy import ToyWorld

    w9, w17, w128 = ToyWorld(), ToyWorld(frames=17), ToyWorld(size=(128, 128))
    w_aa = ToyWorld(supersample=2)
    rows: list[tuple[str, Callable[[int], object]]] = [
        ("all families, 64x64x9", lambda i: w9.clip(i)),
        ("humanoid, 64x64x9", lambda i: w9.clip(i, family="humanoid")),
        ("quadruped, 64x64x9", lambda i: w9.clip(i, family="quadruped")),
        ("bird, 64x64x9", lambda i: w9.clip(i, family="bird")),
        ("all families, 64x64x17", lambda i: w17.clip(i)),
        ("3 characters, 64x64x9", lambda i: w9.clip(i, characters=3)),
        ("all families, 128x128x9", lambda i: w128.clip(i)),
        ("antialiased (2x), 64x64x9", lambda i: w_aa.clip(i)),
        ("cross-identity case, 64x64x9", lambda i: w9.cross_identity_case(i)),
    ]
    print(f"{'setting':<32} {'clips/s (wall)':>15} {'clips/s (cpu)':>14}")
    results = {}
    for name, fn in rows:
        wall, cpu = measure(fn, args.seconds)
        results[name] = (wall, cpu)
        print(f"{name:<32} {wall:>15.1f} {cpu:>14.1f}")
    wall, cpu = results["all families, 64x64x9"]
    print(f"RESULT clips_per_s={wall:.1f} cpu_clips_per_s={cpu:.1f}")


if __name__ == "__main__":
    main()
