"""Mappings between keypoint formats, as data.

A :class:`KeypointMapping` says, for every keypoint of the target format, which source keypoints
it is the mean of (one index: a copy; none: always missing). A derived point is visible only when
all its sources are: its score is the lowest of theirs (the OpenPose neck is the mean of the
shoulders and is missing unless both shoulders are seen). :func:`convert` chains mappings when no
direct one exists.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from motionctx.errors import InputError
from motionctx.pose.skeletons import get_skeleton

if TYPE_CHECKING:
    import numpy as np

    from motionctx.types import PoseSequence

__all__ = ["KeypointMapping", "apply_mapping", "convert", "find_mappings", "register_mapping"]


@dataclass(frozen=True)
class KeypointMapping:
    """``sources[k]``: source keypoint indices averaged into target keypoint ``k``."""

    source: str
    target: str
    sources: tuple[tuple[int, ...], ...]


# COCO-WholeBody body index for each OpenPose body point; the neck (1) is the mean of the shoulders.
_COCO_FOR_OPENPOSE = ((0,), (5, 6), (6,), (8,), (10,), (5,), (7,), (9,), (12,), (14,), (16,), (11,), (13,), (15,),
                      (2,), (1,), (4,), (3,))  # fmt: skip
_OPENPOSE_FOR_COCO = (0, 15, 14, 17, 16, 5, 2, 6, 3, 7, 4, 11, 8, 12, 9, 13, 10)

_MAPPINGS: dict[tuple[str, str], KeypointMapping] = {}


def register_mapping(mapping: KeypointMapping) -> None:
    """Make ``mapping`` available to :func:`convert` (plugins call this for their formats)."""
    n = get_skeleton(mapping.target).num_keypoints
    k = get_skeleton(mapping.source).num_keypoints
    if len(mapping.sources) != n or any(not 0 <= i < k for s in mapping.sources for i in s):
        raise InputError(f"mapping {mapping.source} -> {mapping.target}: needs {n} entries of indices below {k}")
    _MAPPINGS[(mapping.source, mapping.target)] = mapping


register_mapping(
    KeypointMapping("coco_wholebody_133", "openpose_134", _COCO_FOR_OPENPOSE + tuple((i,) for i in range(17, 133)))
)
register_mapping(
    KeypointMapping(
        "openpose_134",
        "coco_wholebody_133",
        tuple((i,) for i in _OPENPOSE_FOR_COCO) + tuple((i,) for i in range(18, 134)),
    )
)
register_mapping(KeypointMapping("openpose_134", "openpose_18", tuple((i,) for i in range(18))))
register_mapping(KeypointMapping("openpose_18", "openpose_134", tuple((i,) for i in range(18)) + ((),) * 116))


def find_mappings(source: str, target: str) -> list[KeypointMapping]:
    """The shortest chain of registered mappings from ``source`` to ``target`` (empty if equal)."""
    if source == target:
        return []
    prev: dict[str, KeypointMapping] = {}
    queue, seen = deque([source]), {source}
    while queue:
        node = queue.popleft()
        for (a, b), m in _MAPPINGS.items():
            if a == node and b not in seen:
                prev[b], _ = m, seen.add(b)
                if b == target:
                    chain = [m]
                    while chain[0].source != source:
                        chain.insert(0, prev[chain[0].source])
                    return chain
                queue.append(b)
    known = sorted({f"{a} -> {b}" for a, b in _MAPPINGS})
    raise InputError(f"no mapping from keypoint format {source!r} to {target!r}", f"known mappings: {', '.join(known)}")


def apply_mapping(keypoints: np.ndarray, scores: np.ndarray, mapping: KeypointMapping) -> tuple[np.ndarray, np.ndarray]:
    """Map ``keypoints [..., K, 2]`` and ``scores [..., K]`` through ``mapping`` (numpy)."""
    import numpy as np

    n = len(mapping.sources)
    kp = np.zeros(keypoints.shape[:-2] + (n, 2), dtype=keypoints.dtype)
    sc = np.zeros(scores.shape[:-1] + (n,), dtype=scores.dtype)
    single = [(t, s[0]) for t, s in enumerate(mapping.sources) if len(s) == 1]
    if single:
        t_idx, s_idx = (np.array(v) for v in zip(*single))
        kp[..., t_idx, :] = keypoints[..., s_idx, :]
        sc[..., t_idx] = scores[..., s_idx]
    for t, s in enumerate(mapping.sources):
        if len(s) > 1:
            kp[..., t, :] = keypoints[..., list(s), :].mean(axis=-2)
            sc[..., t] = scores[..., list(s)].min(axis=-1)
    return kp, sc


def convert(poses: PoseSequence, target: str) -> PoseSequence:
    """``poses`` in keypoint format ``target`` (unchanged when it already is)."""
    import numpy as np
    import torch

    from motionctx.types import PoseSequence

    chain = find_mappings(poses.skeleton.name, target)
    if not chain:
        return poses
    kp = poses.keypoints.detach().cpu().numpy().astype(np.float64)
    sc = poses.scores.detach().cpu().numpy().astype(np.float32)
    for m in chain:
        kp, sc = apply_mapping(kp, sc, m)
    return PoseSequence(
        torch.from_numpy(kp.astype(np.float32)), torch.from_numpy(sc), get_skeleton(target), poses.size, poses.fps
    )
