"""Write docs/images/demo_frames.png: frames 1, 9 and 17 of the demo's preview video stacked, each
row reference | driving | skeleton | output (the preview already enlarges the 32x32 frames 4x
with hard pixel edges).

    make demo && .venv/bin/python docs/images/demo_frames.py [outputs/demo/preview.mp4]
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

from motionctx.io import read_video, write_image
from motionctx.types import Image

FRAMES = (0, 8, 16)
ZOOM = 1


def main() -> None:
    source = Path(sys.argv[1] if len(sys.argv) > 1 else "outputs/demo/preview.mp4")
    video = read_video(source)
    rows = torch.cat([video.frames[i] for i in FRAMES], dim=1)  # [3, 3H, W]
    big = rows.repeat_interleave(ZOOM, dim=1).repeat_interleave(ZOOM, dim=2)
    out = Path(__file__).resolve().parent / "demo_frames.png"
    write_image(out, Image(big.contiguous()))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
