"""Write the three preview frames shown in docs/toy.md from a demo run's preview.mp4.

    motionctx recipe run recipes/demo.yaml
    python docs/images/make_preview_frames.py outputs/demo/preview.mp4

Each PNG is one frame of the side-by-side preview (reference | driving | skeleton | output),
enlarged 4x with nearest-neighbour sampling so the 48-pixel frames stay crisp.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image as PILImage

from motionctx.io import read_video

FRAMES = (0, 8, 16)
SCALE = 4


def main(preview: str) -> None:
    video = read_video(preview)
    here = Path(__file__).resolve().parent
    for i in FRAMES:
        frame = (video.frames[min(i, video.num_frames - 1)].permute(1, 2, 0).clamp(0, 1) * 255).byte().numpy()
        img = PILImage.fromarray(frame)
        img = img.resize((img.width * SCALE, img.height * SCALE), PILImage.NEAREST)
        out = here / f"demo_frame_{i + 1:02d}.png"
        img.save(out)
        print(out)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "outputs/demo/preview.mp4")
