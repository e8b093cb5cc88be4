"""Skeleton rendering speed: motionctx's OpenPose renderer against controlnet_aux's ``draw_pose``.

Renders 121 frames of one COCO-WholeBody person (133 keypoints) at 832x480 with both and prints
frames per second. motionctx is timed from a PoseSequence to uint8 frames (format mapping
included); controlnet_aux from ready-made pose dicts (its conversion is not timed). The outputs
are compared pixel for pixel as well.

    python benchmarks/pose_render.py [--frames 121] [--people 1] [--repeats 3]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import torch

from motionctx.pose import COCO_WHOLEBODY_133, render_poses
from motionctx.types import PoseSequence

H, W = 480, 832


def make_clip(frames: int, people: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A dancing-ish clip: random people, each joint drifting smoothly, 10% of joints unsure."""
    rng = np.random.default_rng(seed)
    base = rng.uniform([W * 0.2, H * 0.2], [W * 0.8, H * 0.8], (1, people, 1, 2)) + rng.normal(
        0, 60, (1, people, 133, 2)
    )
    drift = np.cumsum(rng.normal(0, 2, (frames, people, 133, 2)), axis=0)
    sc = rng.uniform(0.2, 1.0, (frames, people, 133))
    return base + drift, sc


def reference_dicts(kp: np.ndarray, sc: np.ndarray) -> list[dict]:
    """controlnet_aux's input, built the way its DWPose detector builds it."""
    out = []
    for k, s in zip(kp, sc):
        k, s = k.copy(), s.copy()
        neck = k[:, [5, 6]].mean(axis=1)
        k = np.insert(k, 17, neck, axis=1)
        s = np.insert(s, 17, np.logical_and(s[:, 5] > 0.3, s[:, 6] > 0.3), axis=1)
        src, dst = (
            [17, 6, 8, 10, 7, 9, 12, 14, 16, 13, 15, 2, 1, 4, 3],
            [1, 2, 3, 4, 6, 7, 8, 9, 10, 12, 13, 14, 15, 16, 17],
        )
        k[:, dst], s[:, dst] = k[:, src], s[:, src]
        cand = k / (float(W), float(H))
        n = len(cand)
        subset = np.where(s[:, :18] > 0.3, np.arange(n * 18).reshape(n, 18), -1).astype(float)
        body = cand[:, :18].reshape(n * 18, 2).copy()
        cand[s < 0.3] = -1
        hands = np.vstack([cand[:, 92:113], cand[:, 113:]])
        out.append({"bodies": {"candidate": body, "subset": subset}, "hands": hands, "faces": cand[:, 24:92]})
    return out


def best_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=121)
    ap.add_argument("--people", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    kp, sc = make_clip(args.frames, args.people)
    poses = PoseSequence(torch.tensor(kp).float(), torch.tensor(sc).float(), COCO_WHOLEBODY_133, (H, W), 16.0)
    ours = render_poses(poses)
    t_ours = best_time(lambda: render_poses(poses), args.repeats)
    fps_ours = args.frames / t_ours

    fps_ref = float("nan")
    diff = "n/a"
    try:
        import matplotlib  # noqa: F401  (controlnet_aux's hand drawing needs it)

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from controlnet_aux.dwpose import draw_pose
    except Exception as exc:  # noqa: BLE001 - report and carry on with our own number
        print(f"controlnet_aux unavailable ({type(exc).__name__}: {exc}); reference not timed")
    else:
        dicts = reference_dicts(poses.keypoints.double().numpy(), poses.scores.double().numpy())
        ref = np.stack([draw_pose(d, H, W) for d in dicts])
        diff = str(int((ref != ours).any(-1).sum()))
        t_ref = best_time(lambda: [draw_pose(d, H, W) for d in dicts], args.repeats)
        fps_ref = args.frames / t_ref

    print(f"{'renderer':<16}{'frames':>8}{'size':>10}{'fps':>10}")
    print(f"{'motionctx':<16}{args.frames:>8}{f'{W}x{H}':>10}{fps_ours:>10.1f}")
    print(f"{'controlnet_aux':<16}{args.frames:>8}{f'{W}x{H}':>10}{fps_ref:>10.1f}")
    print(f"differing pixels: {diff}; speed-up: {fps_ours / fps_ref:.2f}x")
    print(f"RESULT render_fps={fps_ours:.1f} reference_fps={fps_ref:.1f}")


if __name__ == "__main__":
    main()
