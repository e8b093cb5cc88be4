"""Pose estimator speed: frames per second of ``mediapipe`` (and ``dwpose`` where its model files exist).

The clip is generated: scikit-image's public-domain astronaut photo, scaled to the frame height
and sliding across a grey 692x1108 (HxW) frame, so that a person is in view the whole time. Each
estimator is loaded first (not timed), then ``estimate`` is timed on the whole clip (the best of
``--repeats``); DWPose runs with its cache off. DWPose's ONNX files are looked up in
``--dwpose-dir`` (default ``$DWPOSE_DIR``, as in recipes/pose_m2.yaml); without them its row says so.

    python benchmarks/pose_estimators.py [--frames 48] [--size 692x1108] [--repeats 2] [--dwpose-dir DIR]
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from pathlib import Path

import numpy as np

from motionctx.errors import MotionctxError
from motionctx.plugins import build_part
from motionctx.types import Video

DWPOSE_FILES = {"det_model": "yolox_l.onnx", "pose_model": "dw-ll_ucoco_384.onnx"}


def make_clip(frames: int, height: int, width: int) -> Video:
    """The astronaut, ``height`` pixels tall, sliding from the left edge to the right edge."""
    import cv2
    from skimage.data import astronaut

    person = cv2.resize(astronaut(), (height, height), interpolation=cv2.INTER_AREA)
    travel = max(width - height, 0)
    out = np.full((frames, height, width, 3), 128, np.uint8)
    for t in range(frames):
        x = round(travel * t / max(frames - 1, 1))
        out[t, :, x : x + height] = person[:, : width - x]
    return Video.from_uint8(out, fps=25.0)


def time_estimator(name: str, params: dict, clip: Video, repeats: int) -> tuple[float, float]:
    """(frames per second, fraction of frames with a person) for one estimator."""
    estimator = build_part("pose_estimator", name, {"progress": False, **params})
    estimator.ensure_loaded()
    best, poses = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # frames without a person are counted below instead
            poses = estimator.estimate(clip)
        best = min(best, time.perf_counter() - start)
    found = float((poses.scores.amax(dim=(1, 2)) > 0).float().mean()) if poses.num_people else 0.0
    return clip.num_frames / best, found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=48)
    ap.add_argument("--size", default="692x1108", help="frame HxW")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--dwpose-dir", default=os.environ.get("DWPOSE_DIR"), help="folder with the DWPose ONNX files")
    args = ap.parse_args()
    height, width = (int(v) for v in args.size.lower().split("x"))
    clip = make_clip(args.frames, height, width)

    rows: list[tuple[str, str, str, str]] = []
    results: dict[str, float] = {}
    try:
        fps, found = time_estimator("mediapipe", {}, clip, args.repeats)
        rows.append(("mediapipe", f"{fps:.1f}", f"{found:.0%}", "MediaPipe Holistic, model complexity 1, video mode"))
        results["mediapipe_fps"] = fps
    except MotionctxError as exc:
        rows.append(("mediapipe", "n/a", "n/a", exc.message))
        results["mediapipe_fps"] = float("nan")

    folder = Path(args.dwpose_dir).expanduser() if args.dwpose_dir else None
    paths = {k: folder / f for k, f in DWPOSE_FILES.items()} if folder else {}
    if paths and all(p.is_file() for p in paths.values()):
        fps, found = time_estimator(
            "dwpose", {**{k: str(p) for k, p in paths.items()}, "cache": False}, clip, args.repeats
        )
        rows.append(("dwpose", f"{fps:.1f}", f"{found:.0%}", f"YOLOX-L + DWPose-l from {folder}"))
        results["dwpose_fps"] = fps
    else:
        where = f"not in {folder}" if folder else "no --dwpose-dir or $DWPOSE_DIR"
        rows.append(("dwpose", "n/a", "n/a", f"model files absent ({', '.join(DWPOSE_FILES.values())}: {where})"))
        results["dwpose_fps"] = float("nan")

    print(f"{args.frames} frames at {height}x{width} (HxW), {os.cpu_count()} CPU cores\n")
    print("| estimator | frames/s | frames with a person | notes |")
    print("|---|---:|---:|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()
    print(
        "RESULT "
        + " ".join(f"{k}={v:.1f}" for k, v in results.items())
        + f" frames={args.frames} size={height}x{width}"
    )


if __name__ == "__main__":
    main()
