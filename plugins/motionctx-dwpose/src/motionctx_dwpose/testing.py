"""Tiny ONNX stand-ins with the real DWPose models' signatures, for offline tests.

- :func:`build_detector`: ``images [1, 3, 640, 640]`` -> ``output [1, 8400, 85]`` in YOLOX's raw
  layout, holding the boxes you give (letterbox pixels). Their objectness is gated by the frame:
  when no input value reaches ``gate`` (a black frame letterboxes to at most 114) nothing is found.
- :func:`build_pose`: ``input [N, 3, 384, 288]`` -> ``simcc_x [N, 133, 576]``, ``simcc_y
  [N, 133, 768]``. Every keypoint peaks at the brightest column and row of the crop, so a bright
  dot in a frame comes back, through crop and decoding, at the dot's position.

Needs the ``onnx`` package (a test dependency).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

__all__ = ["build_detector", "build_pose", "detector_raw"]


def detector_raw(boxes: list[tuple[float, float, float, float, int, float]]) -> np.ndarray:
    """Raw YOLOX output ``[8400, 85]`` holding ``(x0, y0, x1, y1, class, score)`` boxes."""
    import numpy as np

    from motionctx_dwpose.runner import DET_SIZE, yolox_grid

    grid, stride = yolox_grid(DET_SIZE)
    raw = np.zeros((grid.shape[0], 85), dtype=np.float32)
    raw[:, 2:4] = -5.0  # empty anchors: tiny boxes with no score
    taken: set[int] = set()
    for x0, y0, x1, y1, cls, score in boxes:
        cx, cy, w, h = (x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0
        for s in (32, 16, 8):
            cell = np.flatnonzero((stride[:, 0] == s) & (grid[:, 0] == cx // s) & (grid[:, 1] == cy // s))
            if cell.size and int(cell[0]) not in taken:
                a = int(cell[0])
                break
        else:
            raise ValueError(f"no free anchor for box {(x0, y0, x1, y1)}")
        taken.add(a)
        raw[a, :4] = (cx / s - grid[a, 0], cy / s - grid[a, 1], math.log(w / s), math.log(h / s))
        raw[a, 4] = 1.0
        raw[a, 5 + cls] = score
    return raw


def _save(graph, path: str | Path) -> Path:
    import onnx
    from onnx import helper

    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


def build_detector(
    path: str | Path, boxes: list[tuple[float, float, float, float, int, float]], *, gate: float = 200.0
) -> Path:
    """Write a detector ONNX that finds ``boxes`` (letterbox pixels, class, score) in any frame
    holding a value above ``gate``, and nothing in other frames."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    raw = detector_raw(boxes)[None]
    mask = np.zeros((1, 1, 85), dtype=np.float32)
    mask[..., 4] = 1.0
    consts = {
        "raw": raw, "mask": mask, "gate": np.array(gate, np.float32), "span": np.array(255.0 - gate, np.float32),
        "zero": np.array(0.0, np.float32), "one": np.array(1.0, np.float32),
    }  # fmt: skip
    nodes = [
        helper.make_node("ReduceMax", ["images"], ["peak"], keepdims=0),
        helper.make_node("Sub", ["peak", "gate"], ["above"]),
        helper.make_node("Div", ["above", "span"], ["ratio"]),
        helper.make_node("Clip", ["ratio", "zero", "one"], ["g"]),
        helper.make_node("Sub", ["g", "one"], ["g1"]),
        helper.make_node("Mul", ["mask", "g1"], ["mg"]),
        helper.make_node("Add", ["mg", "one"], ["factor"]),
        helper.make_node("Mul", ["raw", "factor"], ["output"]),
    ]
    graph = helper.make_graph(
        nodes, "tiny_yolox",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 640, 640])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 8400, 85])],
        initializer=[numpy_helper.from_array(v, k) for k, v in consts.items()],
    )  # fmt: skip
    return _save(graph, path)


def build_pose(path: str | Path, num_keypoints: int = 133) -> Path:
    """Write a pose ONNX whose keypoints all sit at the crop's brightest column and row."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    ux = np.zeros((288, 576), np.float32)
    uy = np.zeros((384, 768), np.float32)
    ux[np.arange(288), 2 * np.arange(288)] = 1.0
    uy[np.arange(384), 2 * np.arange(384)] = 1.0
    consts = {"ux": ux, "uy": uy, "axis1": np.array([1], np.int64), "rep": np.array([1, num_keypoints, 1], np.int64)}
    nodes = [
        helper.make_node("ReduceMean", ["input"], ["grey"], axes=[1], keepdims=0),
        helper.make_node("ReduceMax", ["grey"], ["cols"], axes=[1], keepdims=0),
        helper.make_node("ReduceMax", ["grey"], ["rows"], axes=[2], keepdims=0),
        helper.make_node("MatMul", ["cols", "ux"], ["sx"]),
        helper.make_node("MatMul", ["rows", "uy"], ["sy"]),
        helper.make_node("Unsqueeze", ["sx", "axis1"], ["sx1"]),
        helper.make_node("Unsqueeze", ["sy", "axis1"], ["sy1"]),
        helper.make_node("Expand", ["sx1", "rep"], ["simcc_x"]),
        helper.make_node("Expand", ["sy1", "rep"], ["simcc_y"]),
    ]
    graph = helper.make_graph(
        nodes, "tiny_dwpose",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 3, 384, 288])],
        [
            helper.make_tensor_value_info("simcc_x", TensorProto.FLOAT, ["batch", num_keypoints, 576]),
            helper.make_tensor_value_info("simcc_y", TensorProto.FLOAT, ["batch", num_keypoints, 768]),
        ],
        initializer=[numpy_helper.from_array(v, k) for k, v in consts.items()],
    )  # fmt: skip
    return _save(graph, path)
