"""Pre- and post-processing around the two DWPose ONNX models (numpy + OpenCV).

Detector (YOLOX-L, ``yolox_l.onnx``): the frame is letterboxed into 640x640 (resized by one ratio,
placed top-left, padded with grey 114, raw 0-255 values), the raw ``[1, 8400, 85]`` output is
decoded on the 8/16/32-stride grids, scored ``objectness * class``, NMS'd, and only people
(class 0) above the final score are kept; boxes are divided by the ratio back to frame pixels.

Pose (DWPose-l, ``dw-ll_ucoco_384.onnx``): each person box is grown by 1.25, widened or heightened
to the model's 288:384 aspect, cut out with an affine warp into 288x384, normalised with the
ImageNet mean/std, and the SimCC outputs ``simcc_x [N, 133, 576]`` / ``simcc_y [N, 133, 768]``
(two bins per pixel) are decoded by argmax; the score is the lower of the two maxima. Crop
coordinates are mapped back through the warp to frame pixels (COCO-WholeBody 133 order).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

DET_SIZE = (640, 640)  # (H, W)
POSE_SIZE = (384, 288)  # (H, W)
STRIDES = (8, 16, 32)
PAD_VALUE = 114
BOX_PADDING = 1.25
SIMCC_SPLIT = 2.0
MEAN = (123.675, 116.28, 103.53)
STD = (58.395, 57.12, 57.375)


@dataclass(frozen=True)
class DetectionThresholds:
    """DWPose's detector thresholds: candidates above ``candidate`` enter NMS at IoU ``nms``,
    people above ``person`` are kept."""

    candidate: float = 0.1
    nms: float = 0.45
    person: float = 0.3


def letterbox(image: np.ndarray, size: tuple[int, int] = DET_SIZE) -> tuple[np.ndarray, float]:
    """``image [H, W, 3]`` uint8 -> (float32 ``[3, h, w]`` letterboxed input, resize ratio)."""
    import cv2
    import numpy as np

    h, w = image.shape[:2]
    ratio = min(size[0] / h, size[1] / w)
    nh, nw = int(h * ratio), int(w * ratio)
    canvas = np.full((size[0], size[1], 3), PAD_VALUE, dtype=np.uint8)
    canvas[:nh, :nw] = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_LINEAR)
    return np.ascontiguousarray(canvas.transpose(2, 0, 1), dtype=np.float32), ratio


def yolox_grid(size: tuple[int, int] = DET_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """Anchor cell offsets ``[A, 2]`` and strides ``[A, 1]`` of the YOLOX output, in its order."""
    import numpy as np

    grids, strides = [], []
    for s in STRIDES:
        gy, gx = np.meshgrid(np.arange(size[0] // s), np.arange(size[1] // s), indexing="ij")
        grids.append(np.stack([gx, gy], -1).reshape(-1, 2))
        strides.append(np.full((grids[-1].shape[0], 1), s))
    return np.concatenate(grids).astype(np.float32), np.concatenate(strides).astype(np.float32)


def decode_yolox(raw: np.ndarray, size: tuple[int, int] = DET_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """Raw ``[A, 5 + C]`` output -> (boxes ``[A, 4]`` x0, y0, x1, y1 in input pixels, scores ``[A, C]``)."""
    import numpy as np

    grid, stride = yolox_grid(size)
    if raw.shape[0] != grid.shape[0]:
        raise ValueError(f"detector output has {raw.shape[0]} anchors, expected {grid.shape[0]} for {size}")
    centre = (raw[:, :2] + grid) * stride
    wh = np.exp(np.clip(raw[:, 2:4], -10, 10)) * stride
    boxes = np.concatenate([centre - wh / 2, centre + wh / 2], axis=1)
    return boxes, raw[:, 4:5] * raw[:, 5:]


def nms(boxes: np.ndarray, scores: np.ndarray, iou: float) -> list[int]:
    """Greedy non-maximum suppression (the +1 pixel area convention YOLOX's demo uses)."""
    import numpy as np

    x0, y0, x1, y1 = boxes.T
    areas = (x1 - x0 + 1) * (y1 - y0 + 1)
    order = scores.argsort()[::-1]
    keep: list[int] = []
    while order.size:
        i, rest = int(order[0]), order[1:]
        keep.append(i)
        w = np.maximum(0.0, np.minimum(x1[i], x1[rest]) - np.maximum(x0[i], x0[rest]) + 1)
        h = np.maximum(0.0, np.minimum(y1[i], y1[rest]) - np.maximum(y0[i], y0[rest]) + 1)
        inter = w * h
        order = rest[inter / (areas[i] + areas[rest] - inter) <= iou]
    return keep


def detect_people(raw: np.ndarray, ratio: float, thresholds: DetectionThresholds = DetectionThresholds()) -> np.ndarray:
    """Person boxes ``[M, 5]`` (x0, y0, x1, y1 in frame pixels, score), best first.

    NMS runs per class as in DWPose, so a person box is never suppressed by another class.
    """
    import numpy as np

    boxes, scores = decode_yolox(raw)
    boxes = boxes / ratio
    person = scores[:, 0]
    cand = person > thresholds.candidate
    if not cand.any():
        return np.zeros((0, 5), dtype=np.float32)
    b, s = boxes[cand], person[cand]
    keep = [i for i in nms(b, s, thresholds.nms) if s[i] > thresholds.person]
    return np.concatenate([b[keep], s[keep, None]], axis=1).astype(np.float32)


def box_center_scale(box: np.ndarray, size: tuple[int, int] = POSE_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """Centre and (w, h) scale of the crop for ``box`` (grown by 1.25, fixed to the model aspect)."""
    import numpy as np

    x0, y0, x1, y1 = (float(v) for v in box[:4])
    center = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
    w, h = (x1 - x0) * BOX_PADDING, (y1 - y0) * BOX_PADDING
    aspect = size[1] / size[0]
    scale = np.array([w, w / aspect]) if w > h * aspect else np.array([h * aspect, h])
    return center, scale


def crop_matrix(center: np.ndarray, scale: np.ndarray, size: tuple[int, int] = POSE_SIZE) -> np.ndarray:
    """The 2x3 affine that maps frame pixels into the crop (crop centre = box centre)."""
    import numpy as np

    k = size[1] / scale[0]
    return np.array([[k, 0.0, size[1] / 2 - k * center[0]], [0.0, k, size[0] / 2 - k * center[1]]])


def crop_person(image: np.ndarray, box: np.ndarray, size: tuple[int, int] = POSE_SIZE):
    """(normalised float32 ``[3, h, w]`` crop, centre, scale) for one person box."""
    import cv2
    import numpy as np

    center, scale = box_center_scale(box, size)
    warped = cv2.warpAffine(image, crop_matrix(center, scale, size), (size[1], size[0]), flags=cv2.INTER_LINEAR)
    crop = (warped.astype(np.float32) - np.array(MEAN, np.float32)) / np.array(STD, np.float32)
    return np.ascontiguousarray(crop.transpose(2, 0, 1)), center, scale


def decode_simcc(simcc_x: np.ndarray, simcc_y: np.ndarray, split: float = SIMCC_SPLIT) -> tuple[np.ndarray, np.ndarray]:
    """SimCC outputs -> (crop-pixel locations ``[N, K, 2]``, scores ``[N, K]``); unscored points get -1."""
    import numpy as np

    locs = np.stack([simcc_x.argmax(-1), simcc_y.argmax(-1)], -1).astype(np.float32) / split
    vals = np.minimum(simcc_x.max(-1), simcc_y.max(-1))
    locs[vals <= 0] = -1
    return locs, vals


def crop_to_frame(
    locs: np.ndarray, center: np.ndarray, scale: np.ndarray, size: tuple[int, int] = POSE_SIZE
) -> np.ndarray:
    """Crop-pixel locations ``[..., K, 2]`` back to frame pixels."""
    import numpy as np

    return locs / np.array([size[1], size[0]]) * scale + center - scale / 2
