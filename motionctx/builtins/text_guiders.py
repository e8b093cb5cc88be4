"""Built-in text guiders that need no model: ``none``, ``static``, ``concat``."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from motionctx.hookspecs import hookimpl
from motionctx.parts import PartConfig, TextGuider
from motionctx.types import Image, Video


class NoneTextGuider(TextGuider):
    """No text guidance: the empty prompt (the "no text" ablation)."""

    name: ClassVar[str] = "none"

    def describe(self, reference: Image, driving: Video) -> str:
        return ""


class StaticTextGuider(TextGuider):
    """The same prompt for every input."""

    name: ClassVar[str] = "static"

    class Config(PartConfig):
        prompt: str = Field("", description="the prompt given to the backbone's text encoder")

    def describe(self, reference: Image, driving: Video) -> str:
        return self.config.prompt


class ConcatTextGuider(TextGuider):
    """Fixed appearance and motion descriptions joined without any fusion (text-ablation shape).

    The model-based version that writes both descriptions from the inputs is ``mllm_concat``.
    """

    name: ClassVar[str] = "concat"

    class Config(PartConfig):
        appearance: str = Field("", description="description of the reference's appearance")
        motion: str = Field("", description="description of the driving motion")
        separator: str = Field(" ", description="text placed between the two")

    def describe(self, reference: Image, driving: Video) -> str:
        parts = [p.strip() for p in (self.config.appearance, self.config.motion) if p.strip()]
        return self.config.separator.join(parts)


@hookimpl
def register_text_guiders(register) -> None:
    register(NoneTextGuider)
    register(StaticTextGuider)
    register(ConcatTextGuider)
