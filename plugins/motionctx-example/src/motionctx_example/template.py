"""The ``template`` text guider: a prompt filled from the driving video."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from motionctx.parts import PartConfig, TextGuider
from motionctx.types import Image, Video


class TemplateTextGuider(TextGuider):
    """Formats ``template`` with ``{frames}``, ``{seconds}`` and ``{fps}`` of the driving video."""

    name: ClassVar[str] = "template"

    class Config(PartConfig):
        template: str = Field(
            "A character moves for {seconds:.1f} seconds.", description="format string; fields: frames, seconds, fps"
        )

    def describe(self, reference: Image, driving: Video) -> str:
        n = driving.num_frames
        return self.config.template.format(frames=n, seconds=n / driving.fps, fps=driving.fps)
