"""Built-in pose estimators: ``keypoints_file`` (poses computed elsewhere, read from disk)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field

from motionctx.errors import InputError
from motionctx.hookspecs import hookimpl
from motionctx.parts import MissingFile, PartConfig, PoseEstimator

if TYPE_CHECKING:
    from motionctx.types import PoseSequence, Video

#: Relative difference of aspect ratios tolerated when a file's frame size differs from the video's.
ASPECT_TOLERANCE = 0.02


class KeypointsFileEstimator(PoseEstimator):
    """Keypoints read from a file instead of estimated: our NPZ (any format) or OpenPose/DWPose
    JSON (a file or a folder of per-frame files; read as ``openpose_134``).

    The file holds one entry per frame of the whole video it was made from; a cut of that video
    (the first frames kept by ``max_frames`` or the frame rule, or a later chunk, see
    :attr:`~motionctx.types.Video.start`) gets the entries of exactly its frames. When the file's
    frame size differs from the video's (same aspect ratio), coordinates are scaled to the video.
    """

    name: ClassVar[str] = "keypoints_file"
    keypoint_format: ClassVar[str] = "openpose_134"
    reads_pixels: ClassVar[bool] = False

    class Config(PartConfig):
        path: str = Field(
            ..., description="an .npz written by `motionctx pose extract`, a .json file, or a folder of .json files"
        )
        coordinates: Literal["auto", "pixels", "normalized"] = Field(
            "auto", description="JSON only: pixel or normalised coordinates (auto: normalised if all lie in [0, 1])"
        )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._cache: tuple[tuple[int, int] | None, float, PoseSequence] | None = None

    def _read(self, size: tuple[int, int]) -> PoseSequence:
        from pathlib import Path

        from motionctx.checks import read_keypoints

        p = Path(self.config.path)
        stamp = p.stat().st_mtime_ns if p.exists() else -1
        if self._cache is None or self._cache[:2] != (size, stamp):
            poses = read_keypoints(p, size, coordinates=self.config.coordinates)
            self._cache = (size, stamp, poses)
        return self._cache[2]

    def missing_files(self) -> list[MissingFile]:
        from pathlib import Path

        if Path(self.config.path).exists():
            return []
        hint = "make one with `motionctx pose extract`"
        return [MissingFile("keypoints_file path", self.config.path, hint, weights=False)]

    def estimate(self, video: Video) -> PoseSequence:
        import dataclasses

        from motionctx.pose.arrays import from_numpy, to_numpy

        poses = self._read(video.size)
        where = f"pose file {self.config.path!r}"
        first, stop = video.start, video.start + video.num_frames
        if poses.num_frames < stop:
            used = f"frames {first}..{stop - 1}" if first else f"its first {video.num_frames} frames"
            raise InputError(
                f"{where} has {poses.num_frames} frames but the video uses {used}",
                "use the pose file made from this video (or a cut of the video that the file covers)",
            )
        if (first, stop) != (0, poses.num_frames):
            poses = dataclasses.replace(poses, keypoints=poses.keypoints[first:stop], scores=poses.scores[first:stop])
        (fh, fw), (vh, vw) = poses.size, video.size
        if (fh, fw) != (vh, vw):
            if abs((fw / fh) / (vw / vh) - 1) > ASPECT_TOLERANCE:
                raise InputError(
                    f"{where} is for {fh}x{fw} frames but the video is {vh}x{vw} (H x W), another aspect ratio",
                    "use the pose file made from this video",
                )
            kp, sc = to_numpy(poses)
            poses = from_numpy(poses, kp * (vw / fw, vh / fh), sc, size=(vh, vw))
        return dataclasses.replace(poses, fps=video.fps)


@hookimpl
def register_pose_estimators(register) -> None:
    register(KeypointsFileEstimator)
