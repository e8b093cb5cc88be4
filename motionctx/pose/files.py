"""Pose files: our NPZ format and OpenPose/DWPose JSON.

NPZ (written by :func:`save_poses`, atomically): ``keypoints`` float32 ``[T, P, K, 2]`` in pixels,
``scores`` float32 ``[T, P, K]``, ``format`` (a keypoint-format name such as
``coco_wholebody_133``), ``size`` int ``[H, W]`` and ``fps``.

JSON, read as ``openpose_134`` (see docs/pose.md for examples):

- a folder of per-frame files as OpenPose's ``--write_json`` writes them, read in natural file
  name order; each file is one frame ``{"people": [...]}``;
- one file holding a list of frames ``[{"people": [...]}, ...]``, or ``{"frames": [...]}``;
- one file holding a single frame ``{"people": [...]}`` (a one-frame sequence).

Each person has flat ``[x, y, score, ...]`` lists: ``pose_keypoints_2d`` with 18 points (OpenPose
COCO order, as DWPose/ControlNet export) or 25 (BODY_25: its mid-hip is dropped, its six foot
points fill the feet), ``face_keypoints_2d`` with 68 or 70 points (the two pupils are dropped),
``hand_left_keypoints_2d`` / ``hand_right_keypoints_2d`` with 21 points; absent lists are missing
joints. ``canvas_height`` / ``canvas_width`` (top level or per frame) give the frame size.
Coordinates are pixels, or fractions of the canvas when every visible coordinate lies in [0, 1]
(``coordinates="auto"``; force it with ``"pixels"`` / ``"normalized"``).
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from motionctx.errors import InputError
from motionctx.pose.skeletons import get_skeleton

if TYPE_CHECKING:
    import numpy as np

    from motionctx.types import PoseSequence

__all__ = ["load_poses", "read_openpose_json", "read_poses", "save_poses"]

_NPZ_KEYS = ("keypoints", "scores", "format", "size")
#: BODY_25 index for each OpenPose-18 body point (mid-hip 8 is dropped); feet 19-24 follow.
_BODY25_TO_18 = (0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18)
_PARTS = (
    ("pose_keypoints_2d", 0),
    ("face_keypoints_2d", 24),
    ("hand_left_keypoints_2d", 92),
    ("hand_right_keypoints_2d", 113),
)


def save_poses(path: str | Path, poses: PoseSequence) -> Path:
    """Write ``poses`` to an NPZ file atomically; returns the path."""
    import numpy as np

    from motionctx.io.atomic import atomic_write_bytes

    buf = io.BytesIO()
    np.savez_compressed(
        buf,
        keypoints=poses.keypoints.detach().cpu().numpy().astype(np.float32),
        scores=poses.scores.detach().cpu().numpy().astype(np.float32),
        format=np.array(poses.skeleton.name),
        size=np.array(poses.size, dtype=np.int64),
        fps=np.array(float(poses.fps)),
    )
    return atomic_write_bytes(path, buf.getvalue())


def load_poses(path: str | Path) -> PoseSequence:
    """Read an NPZ written by :func:`save_poses`; a bad file raises InputError naming it."""
    import numpy as np
    import torch

    from motionctx.types import PoseSequence

    p = Path(path)
    if not p.is_file():
        raise InputError(f"pose file {str(p)!r} does not exist", "run `motionctx pose extract` first or fix the path")
    try:
        with np.load(p, allow_pickle=False) as data:
            missing = [k for k in _NPZ_KEYS if k not in data.files]
            if missing:
                raise InputError(
                    f"pose file {str(p)!r} lacks {', '.join(missing)}",
                    f"an NPZ pose file holds {', '.join(_NPZ_KEYS)} (and fps)",
                )
            kp, sc = data["keypoints"], data["scores"]
            fmt, size = str(data["format"]), data["size"]
            fps = float(data["fps"]) if "fps" in data.files else 16.0
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - zipfile, OS and value errors for broken files
        raise InputError(
            f"pose file {str(p)!r} is not a readable NPZ: {type(exc).__name__}: {exc}".splitlines()[0]
        ) from None
    if kp.ndim != 4 or kp.shape[-1] != 2 or sc.shape != kp.shape[:3]:
        raise InputError(
            f"pose file {str(p)!r}: keypoints {kp.shape} / scores {sc.shape}, expected [T, P, K, 2] / [T, P, K]"
        )
    if size.shape != (2,) or (size <= 0).any():
        raise InputError(f"pose file {str(p)!r}: size must be [H, W] > 0, got {size.tolist()}")
    try:
        skeleton = get_skeleton(fmt)
    except InputError as exc:
        raise InputError(f"pose file {str(p)!r}: {exc.message}", exc.hint) from None
    try:
        return PoseSequence(
            torch.from_numpy(kp.astype(np.float32)), torch.from_numpy(sc.astype(np.float32)), skeleton,
            (int(size[0]), int(size[1])), fps if fps > 0 else 16.0,
        )  # fmt: skip
    except InputError as exc:
        raise InputError(f"pose file {str(p)!r}: {exc.message}", exc.hint) from None


def _natural_key(name: str) -> list[Any]:
    return [int(s) if s.isdigit() else s for s in re.split(r"(\d+)", name)]


def _load_json(p: Path) -> Any:
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"pose file {str(p)!r} is not readable JSON: {exc}".splitlines()[0]) from None


def _person(person: Any, where: str) -> tuple[np.ndarray, np.ndarray]:
    import numpy as np

    kp, sc = np.zeros((134, 2)), np.zeros(134)
    if not isinstance(person, dict):
        raise InputError(f"{where}: a person must be an object with *_keypoints_2d lists, got {type(person).__name__}")
    for key, base in _PARTS:
        values = person.get(key)
        if values is None or len(values) == 0:
            continue
        arr = np.asarray(values, dtype=np.float64) if isinstance(values, list) else None
        if arr is None or arr.ndim != 1 or arr.size % 3:
            raise InputError(f"{where}.{key}: expected a flat list of x, y, score triples")
        pts = arr.reshape(-1, 3)
        n = len(pts)
        if key == "pose_keypoints_2d":
            if n == 25:
                kp[18:24], sc[18:24] = pts[19:25, :2], pts[19:25, 2]
                pts = pts[list(_BODY25_TO_18)]
            elif n != 18:
                raise InputError(f"{where}.{key}: {n} points; expected 18 (OpenPose COCO) or 25 (BODY_25)")
        elif key == "face_keypoints_2d":
            if n not in (68, 70):
                raise InputError(f"{where}.{key}: {n} points; expected 68 or 70")
            pts = pts[:68]
        elif n != 21:
            raise InputError(f"{where}.{key}: {n} points; expected 21")
        kp[base : base + len(pts)], sc[base : base + len(pts)] = pts[:, :2], pts[:, 2]
    return kp, sc


def _frames(path: Path) -> tuple[list[tuple[Any, str]], dict[str, Any]]:
    if path.is_dir():
        files = sorted((f for f in path.iterdir() if f.suffix.lower() == ".json"), key=lambda f: _natural_key(f.name))
        if not files:
            raise InputError(f"pose folder {str(path)!r} holds no .json files")
        return [(_load_json(f), str(f)) for f in files], {}
    data = _load_json(path)
    if isinstance(data, dict) and "frames" in data:
        frames, top = data["frames"], data
    elif isinstance(data, dict) and "people" in data:
        frames, top = [data], data
    else:
        frames, top = data, {}
    if not isinstance(frames, list) or not frames:
        raise InputError(
            f'pose file {str(path)!r}: expected frames ({{"people": [...]}} objects) as a list, '
            'under "frames", or one frame object',
            "see docs/pose.md for the accepted layouts",
        )
    return [(f, f"{path}[frame {i}]") for i, f in enumerate(frames)], top


def read_openpose_json(
    path: str | Path, size: tuple[int, int] | None = None, *, coordinates: str = "auto", fps: float = 16.0
) -> PoseSequence:
    """Read OpenPose/DWPose JSON (layouts in the module doc) as ``openpose_134`` poses.

    ``size (H, W)`` is used when the file gives no canvas size; one of them is needed.
    """
    import numpy as np
    import torch

    from motionctx.types import PoseSequence

    p = Path(path)
    if not p.exists():
        raise InputError(f"pose file {str(p)!r} does not exist", "check the path")
    if coordinates not in ("auto", "pixels", "normalized"):
        raise InputError(f"coordinates must be auto, pixels or normalized, got {coordinates!r}")
    frames, top = _frames(p)
    people: list[list[tuple[np.ndarray, np.ndarray]]] = []
    canvas = None
    for frame, where in frames:
        if not isinstance(frame, dict) or not isinstance(frame.get("people", []), list):
            raise InputError(f'{where}: a frame must be an object with a "people" list')
        src = frame if "canvas_height" in frame else top
        if canvas is None and "canvas_height" in src and "canvas_width" in src:
            canvas = (int(src["canvas_height"]), int(src["canvas_width"]))
        people.append([_person(person, f"{where}.people[{i}]") for i, person in enumerate(frame.get("people", []))])
    size = canvas or size
    if size is None:
        raise InputError(
            f"pose file {str(p)!r} gives no canvas_height/canvas_width", "pass the frame size (--size HxW)"
        )
    n_people = max((len(f) for f in people), default=0)
    kp = np.zeros((len(people), n_people, 134, 2))
    sc = np.zeros((len(people), n_people, 134))
    for t, frame_people in enumerate(people):
        for i, (k, s) in enumerate(frame_people):
            kp[t, i], sc[t, i] = k, s
    vis = sc > 0
    normalized = coordinates == "normalized" or (
        coordinates == "auto" and vis.any() and float(np.abs(kp[vis]).max()) <= 1.0
    )
    if normalized:
        kp = kp * (size[1], size[0])
    return PoseSequence(
        torch.from_numpy(kp.astype(np.float32)), torch.from_numpy(sc.astype(np.float32)), get_skeleton("openpose_134"),
        (int(size[0]), int(size[1])), fps,
    )  # fmt: skip


def read_poses(path: str | Path, size: tuple[int, int] | None = None, *, coordinates: str = "auto") -> PoseSequence:
    """Read NPZ (by suffix ``.npz``) or OpenPose JSON (a ``.json`` file or a folder)."""
    p = Path(path)
    if p.suffix.lower() == ".npz":
        return load_poses(p)
    if p.is_dir() or p.suffix.lower() == ".json":
        return read_openpose_json(p, size, coordinates=coordinates)
    raise InputError(
        f"pose file {str(p)!r}: unknown kind",
        "use an .npz written by motionctx, a .json file or a folder of .json files",
    )
