"""The ``dwpose`` pose estimator: whole-body keypoints (COCO-WholeBody 133) from local ONNX files."""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field

from motionctx.errors import InputError, WeightsError
from motionctx.parts import MissingFile, PartConfig, PoseEstimator

if TYPE_CHECKING:
    import numpy as np

    from motionctx.types import PoseSequence, Video

CACHE_VERSION = 1
UPSTREAM = {
    "det_model": "yolox_l.onnx",
    "pose_model": "dw-ll_ucoco_384.onnx",
}
HOW_TO_GET = (
    "download the DWPose ONNX files yourself (yolox_l.onnx and dw-ll_ucoco_384.onnx, published with the DWPose "
    "project) and set det_model / pose_model to their local paths; motionctx never downloads weights"
)


def _frames_label(frames: list[int]) -> str:
    """``[0, 1, 2, 5]`` -> ``"0-2, 5"``."""
    spans: list[str] = []
    start = prev = frames[0]
    for f in frames[1:] + [None]:  # type: ignore[list-item]
        if f is not None and f == prev + 1:
            prev = f
            continue
        spans.append(str(start) if start == prev else f"{start}-{prev}")
        if f is not None:
            start = prev = f
    return ", ".join(spans)


def default_cache_dir() -> Path:
    """``$MOTIONCTX_CACHE_DIR/dwpose``, else ``~/.cache/motionctx/dwpose``."""
    root = os.environ.get("MOTIONCTX_CACHE_DIR")
    return (Path(root) if root else Path.home() / ".cache" / "motionctx") / "dwpose"


class DWPoseEstimator(PoseEstimator):
    """DWPose whole-body pose (YOLOX-L person detector + DWPose-l 384x288) with onnxruntime.

    Model files are local paths; nothing is downloaded. Results are cached on disk, keyed by the
    video's pixels and every parameter that changes them. Frames where nobody is detected get no
    people (a warning names them); the people axis is as long as the most crowded frame, and each
    person keeps the slot nearest to where they were in the previous frame.
    """

    name: ClassVar[str] = "dwpose"
    keypoint_format: ClassVar[str] = "coco_wholebody_133"

    class Config(PartConfig):
        det_model: str = Field(..., description="path to the YOLOX-L detector ONNX file (upstream name yolox_l.onnx)")
        pose_model: str = Field(..., description="path to the DWPose-l ONNX file (upstream name dw-ll_ucoco_384.onnx)")
        det_candidate: float = Field(0.1, ge=0, le=1, description="detector score a box needs to enter NMS")
        det_nms: float = Field(0.45, gt=0, le=1, description="NMS IoU threshold")
        det_person: float = Field(0.3, ge=0, le=1, description="score a person box needs to be kept")
        bgr: bool = Field(False, description="feed the models BGR instead of RGB frames")
        batch_size: int = Field(8, ge=1, description="frames per batch")
        threads: int = Field(0, ge=0, description="onnxruntime intra-op threads (0: its default)")
        providers: list[str] = Field(["CPUExecutionProvider"], description="onnxruntime execution providers, in order")
        cache: bool = Field(True, description="reuse keypoints computed before for the same video and parameters")
        cache_dir: str | None = Field(
            None, description="cache folder (default $MOTIONCTX_CACHE_DIR/dwpose or ~/.cache/motionctx/dwpose)"
        )
        progress: bool = Field(True, description="show a progress bar")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._det = self._pose = None

    # ------------------------------------------------------------------ loading

    def _model_path(self, field: str) -> Path:
        p = Path(getattr(self.config, field)).expanduser()
        if not p.is_file():
            raise WeightsError(
                f"dwpose {field}: model file {str(p)!r} not found (expected {UPSTREAM[field]})", HOW_TO_GET
            )
        return p

    def missing_files(self) -> list[MissingFile]:
        """The two ONNX model files, when they are not there."""
        return [
            MissingFile(f"dwpose {field} ({UPSTREAM[field]})", str(getattr(self.config, field)), HOW_TO_GET)
            for field in ("det_model", "pose_model")
            if not Path(getattr(self.config, field)).expanduser().is_file()
        ]

    def load(self) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        if self.config.threads:
            opts.intra_op_num_threads = self.config.threads
        sessions = []
        for field in ("det_model", "pose_model"):
            path = self._model_path(field)
            try:
                sessions.append(ort.InferenceSession(str(path), opts, providers=list(self.config.providers)))
            except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own exception types
                raise WeightsError(
                    f"dwpose {field}: cannot load {str(path)!r}: {type(exc).__name__}: {exc}".splitlines()[0],
                    HOW_TO_GET,
                ) from None
        self._det, self._pose = sessions

    # ------------------------------------------------------------------ caching

    def cache_key(self, frames: np.ndarray) -> str:
        """sha256 of the frames' pixels and every parameter that changes the keypoints."""
        h = hashlib.sha256()
        h.update(str(frames.shape).encode())
        h.update(frames.tobytes())
        params = self.config.model_dump(include={"det_candidate", "det_nms", "det_person", "bgr"})
        for field in ("det_model", "pose_model"):
            p = self._model_path(field)
            st = p.stat()
            params[field] = [str(p.resolve()), st.st_size, st.st_mtime_ns]
        h.update(json.dumps({"v": CACHE_VERSION, **params}, sort_keys=True).encode())
        return h.hexdigest()

    def cache_path(self, frames: np.ndarray) -> Path:
        folder = Path(self.config.cache_dir).expanduser() if self.config.cache_dir else default_cache_dir()
        return folder / f"{self.cache_key(frames)}.npz"

    # ------------------------------------------------------------------ running

    def estimate(self, video: Video) -> PoseSequence:
        import dataclasses

        from motionctx.pose.files import load_poses, save_poses

        frames = video.to_uint8().numpy()
        path = self.cache_path(frames) if self.config.cache else None
        if path is not None and path.is_file():
            try:
                return dataclasses.replace(load_poses(path), fps=video.fps)
            except InputError:
                path.unlink(missing_ok=True)  # a broken cache entry is recomputed
        self.ensure_loaded()
        per_frame = self._run(frames)
        poses = self._assemble(per_frame, video)
        if path is not None:
            save_poses(path, poses)
        return poses

    def _run(self, frames: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        from rich.progress import Progress

        from motionctx.console import err_console

        out: list[tuple[np.ndarray, np.ndarray]] = []
        bs = self.config.batch_size
        with Progress(console=err_console, transient=True, disable=not self.config.progress) as bar:
            task = bar.add_task("dwpose", total=len(frames))
            for start in range(0, len(frames), bs):
                batch = frames[start : start + bs]
                if self.config.bgr:
                    batch = batch[..., ::-1]
                out.extend(self._run_batch(batch))
                bar.advance(task, len(batch))
        return out

    def _run_batch(self, frames: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        import numpy as np

        from motionctx_dwpose.runner import (
            DetectionThresholds,
            crop_person,
            crop_to_frame,
            decode_simcc,
            detect_people,
            letterbox,
        )

        thr = DetectionThresholds(self.config.det_candidate, self.config.det_nms, self.config.det_person)
        inputs = [letterbox(np.ascontiguousarray(f)) for f in frames]
        raw = _run_batched(self._det, np.stack([x for x, _ in inputs]))[0]
        crops, owners, centers, scales = [], [], [], []
        for i, (frame, (_, ratio)) in enumerate(zip(frames, inputs)):
            for box in detect_people(raw[i], ratio, thr):
                crop, c, s = crop_person(np.ascontiguousarray(frame), box)
                crops.append(crop)
                owners.append(i)
                centers.append(c)
                scales.append(s)
        result = [(np.zeros((0, 133, 2)), np.zeros((0, 133))) for _ in frames]
        if not crops:
            return result
        simcc_x, simcc_y = _run_batched(self._pose, np.stack(crops))[:2]
        locs, vals = decode_simcc(simcc_x, simcc_y)
        kps = crop_to_frame(locs, np.stack(centers)[:, None], np.stack(scales)[:, None])
        for i in range(len(frames)):
            mine = [j for j, o in enumerate(owners) if o == i]
            result[i] = (kps[mine], np.where(locs[mine, :, 0] < 0, 0.0, vals[mine]))
        return result

    def _assemble(self, per_frame: list[tuple[np.ndarray, np.ndarray]], video: Video) -> PoseSequence:
        import numpy as np
        import torch

        from motionctx.pose.skeletons import get_skeleton
        from motionctx.pose.track import order_people
        from motionctx.types import PoseSequence

        empty = [t for t, (k, _) in enumerate(per_frame) if len(k) == 0]
        if empty:
            warnings.warn(
                f"dwpose: no person detected in {len(empty)} of {len(per_frame)} frames ({_frames_label(empty)})",
                stacklevel=3,
            )
        kp, sc = order_people(per_frame, 133, threshold=0.3)
        return PoseSequence(
            torch.from_numpy(kp.astype(np.float32)), torch.from_numpy(np.maximum(sc, 0).astype(np.float32)),
            get_skeleton("coco_wholebody_133"), video.size, video.fps,
        )  # fmt: skip


def _run_batched(session: Any, batch: np.ndarray) -> list[np.ndarray]:
    """Run ``session`` on ``batch``, in chunks when the model has a fixed batch size."""
    import numpy as np

    inp = session.get_inputs()[0]
    fixed = inp.shape[0] if isinstance(inp.shape[0], int) and inp.shape[0] > 0 else None
    step = fixed or len(batch)
    parts = []
    for i in range(0, len(batch), step):
        chunk = batch[i : i + step]
        n = len(chunk)
        if n < step:  # a fixed-batch model gets a zero-padded last chunk
            chunk = np.concatenate([chunk, np.zeros((step - n, *chunk.shape[1:]), chunk.dtype)])
        parts.append([o[:n] for o in session.run(None, {inp.name: chunk})])
    return [np.concatenate([p[k] for p in parts]) for k in range(len(parts[0]))]
