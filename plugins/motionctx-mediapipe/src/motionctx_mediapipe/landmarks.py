"""From Holistic results to pixel arrays, and a check for a tracked person that jumps.

Pure numpy: nothing here imports mediapipe, so it is testable on its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from motionctx.pose.mediapipe_map import HOLISTIC_PARTS, HOLISTIC_SIZE

if TYPE_CHECKING:
    import numpy as np

__all__ = ["holistic_arrays", "neck_jumps"]

# openpose_134 indices used by the jump check
_NECK, _R_SHOULDER, _L_SHOULDER, _R_HIP, _L_HIP = 1, 2, 5, 8, 11


def _points(landmarks: Any, count: int) -> np.ndarray:
    """``[count, 3]``: normalised x, y and visibility of a landmark list (MediaPipe's proto)."""
    import numpy as np

    return np.array([(p.x, p.y, p.visibility) for p in landmarks.landmark[:count]], dtype=np.float64)


def holistic_arrays(result: Any, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray] | None:
    """One Holistic result -> ``(keypoints [543, 2] in pixels, scores [543])``, or None when it
    found no body (Holistic finds hands and face only around a body).

    Body scores are MediaPipe's visibility; a hand or the face found scores 1, one not found 0
    (its points stay at (0, 0)). Landmarks are normalised to the frame, so x is scaled by the
    width and y by the height; points MediaPipe places outside the frame keep their positions.
    """
    import numpy as np

    if result.pose_landmarks is None:
        return None
    h, w = size
    kp = np.zeros((HOLISTIC_SIZE, 2))
    sc = np.zeros(HOLISTIC_SIZE)
    parts = {
        "pose": result.pose_landmarks,
        "left_hand": result.left_hand_landmarks,
        "right_hand": result.right_hand_landmarks,
        "face": result.face_landmarks,
    }
    for name, landmarks in parts.items():
        if landmarks is None:
            continue
        start, stop = HOLISTIC_PARTS[name]
        pts = _points(landmarks, stop - start)  # the refined face has 10 iris points more: dropped
        kp[start:stop] = pts[:, :2] * (w, h)
        sc[start:stop] = np.clip(pts[:, 2], 0.0, 1.0) if name == "pose" else 1.0
    return kp, sc


def neck_jumps(keypoints: np.ndarray, scores: np.ndarray, *, threshold: float = 0.5, factor: float = 1.5) -> list[int]:
    """Frames where one tracked person's neck moved implausibly far since the frame before.

    ``keypoints [T, K, 2]`` and ``scores [T, K]`` in ``openpose_134``. A frame ``t`` is listed when
    both shoulders are seen in ``t - 1`` and ``t`` and the neck moved more than ``factor`` torso
    sizes (the larger of shoulder width and neck-to-hips distance in ``t - 1``). Between two
    frames of one person that does not happen; it is what a switch to another person (or a cut)
    looks like.
    """
    import numpy as np

    out = []
    seen = (scores[:, _R_SHOULDER] > threshold) & (scores[:, _L_SHOULDER] > threshold)
    for t in range(1, len(keypoints)):
        if not (seen[t] and seen[t - 1]):
            continue
        prev = keypoints[t - 1]
        size = np.linalg.norm(prev[_R_SHOULDER] - prev[_L_SHOULDER])
        if scores[t - 1, _R_HIP] > threshold and scores[t - 1, _L_HIP] > threshold:
            size = max(size, np.linalg.norm(prev[_NECK] - (prev[_R_HIP] + prev[_L_HIP]) / 2))
        if np.linalg.norm(keypoints[t, _NECK] - prev[_NECK]) > factor * size:
            out.append(t)
    return out
