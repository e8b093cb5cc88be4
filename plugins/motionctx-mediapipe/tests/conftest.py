"""Real pixels for the MediaPipe tests: scikit-image's public-domain astronaut photo and a short
video made from it by moving a crop window, written and read back with motionctx.io."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

#: Crop window (height, width) and its top-left corner (x, y) in each frame of the moving clip.
CROP = (448, 352)
OFFSETS = [(8 * t, 4 * t) for t in range(9)]
FPS = 10.0


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    """The 512x512 RGB astronaut photo (NASA, public domain), as shipped by scikit-image."""
    data = pytest.importorskip("skimage.data")
    return data.astronaut()


def crop_frames(photo: np.ndarray) -> np.ndarray:
    """``[T, H, W, 3]`` uint8: the crop window moving right 8 px and down 4 px per frame."""
    h, w = CROP
    return np.stack([photo[y : y + h, x : x + w] for x, y in OFFSETS])


@pytest.fixture(scope="session")
def crop_video(astronaut: np.ndarray, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The moving crop encoded as an mp4 by motionctx.io.write_video."""
    from motionctx.io import write_video
    from motionctx.types import Video

    path = tmp_path_factory.mktemp("mediapipe_media") / "astronaut_crop.mp4"
    return write_video(path, Video.from_uint8(crop_frames(astronaut), fps=FPS))
