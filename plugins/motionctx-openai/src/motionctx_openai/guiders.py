"""MLLM text guiders: ``mllm_fusion`` (the method) and ``mllm_concat`` (its no-fusion ablation).

Both ask a multimodal model for two descriptions: the driving video's motion with no appearance,
and the reference image's appearance with no pose. ``mllm_fusion`` then has an LLM rewrite them
as one description of the reference character performing the motion; ``mllm_concat`` joins them.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, ClassVar

from pydantic import Field

from motionctx.errors import InputError
from motionctx.parts import TextGuider
from motionctx_openai.calls import MllmCalls
from motionctx_openai.prompts import fill, load_prompt
from motionctx_openai.settings import ChatSettings, FrameSampling

if TYPE_CHECKING:
    from motionctx.types import Image, Video


class MllmGuiderConfig(ChatSettings):
    """Endpoint and client settings, frame sampling, and the two description prompts."""

    frames: FrameSampling = Field(default_factory=FrameSampling, description="how driving frames are sampled and encoded")
    motion_prompt: str | None = Field(None, description="path of a text file replacing the built-in motion prompt")
    appearance_prompt: str | None = Field(
        None, description="path of a text file replacing the built-in appearance prompt"
    )


class MllmDescriptionGuider(TextGuider):
    """Shared base: writes the appearance and motion descriptions (not registered itself)."""

    Config: ClassVar[type[MllmGuiderConfig]] = MllmGuiderConfig

    def load(self) -> None:
        """Read the prompts (built-in or the recipe's files); no network and no key needed yet."""
        c = self.config
        self.prompts = {
            "motion": load_prompt("motion", c.motion_prompt, key="motion_prompt"),
            "appearance": load_prompt("appearance", c.appearance_prompt, key="appearance_prompt"),
        }
        self.calls = MllmCalls(c, detail=c.frames.detail)

    def close(self) -> None:
        """Close the HTTP connections (reopened on the next call)."""
        if getattr(self, "calls", None) is not None:
            self.calls.close()

    def motion_description(self, driving: Video) -> str:
        """What the driving video's subject does, with no word about how it looks."""
        from motionctx_openai.media import video_jpegs

        self.ensure_loaded()
        jpegs = video_jpegs(driving, self.config.frames)
        what = (
            f"motion description of the driving video ({driving.num_frames} frames at {driving.fps:g} fps, "
            f"{len(jpegs)} sent)"
        )
        return self.calls.ask("motion", self.prompts["motion"], jpegs, what=what)

    def appearance_description(self, reference: Image) -> str:
        """What the reference character looks like, with no word about its pose."""
        from motionctx_openai.media import image_jpeg

        self.ensure_loaded()
        jpeg = image_jpeg(reference, self.config.frames)
        h, w = reference.size
        what = f"appearance description of the reference image ({w}x{h})"
        return self.calls.ask("appearance", self.prompts["appearance"], [jpeg], what=what)

    def descriptions(self, reference: Image, driving: Video) -> tuple[str, str]:
        """``(appearance, motion)``; the two requests run side by side when concurrency allows."""
        from motionctx.types import Image, Video

        if not isinstance(reference, Image):
            raise InputError(f"{self.name}: reference must be a motionctx Image, got {type(reference).__name__}")
        if not isinstance(driving, Video):
            raise InputError(f"{self.name}: driving must be a motionctx Video, got {type(driving).__name__}")
        self.ensure_loaded()
        if self.config.max_concurrency < 2:
            return self.appearance_description(reference), self.motion_description(driving)
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="motionctx-mllm") as pool:
            appearance = pool.submit(self.appearance_description, reference)
            motion = pool.submit(self.motion_description, driving)
            # Motion first: its error is reported before the appearance one when both fail.
            motion_text = motion.result()
            return appearance.result(), motion_text


class MllmConcatGuider(MllmDescriptionGuider):
    """The appearance and motion descriptions joined as written, with no fusion call (ablation)."""

    name: ClassVar[str] = "mllm_concat"

    class Config(MllmGuiderConfig):
        separator: str = Field(" ", description="text placed between the appearance and the motion description")

    def describe(self, reference: Image, driving: Video) -> str:
        appearance, motion = self.descriptions(reference, driving)
        return self.config.separator.join(p.strip() for p in (appearance, motion) if p.strip())


class MllmFusionGuider(MllmDescriptionGuider):
    """The method's text guidance: both descriptions fused by an LLM into one target description."""

    name: ClassVar[str] = "mllm_fusion"

    class Config(MllmGuiderConfig):
        fusion_prompt: str | None = Field(
            None,
            description="path of a text file replacing the built-in fusion prompt; "
            "it must contain {appearance} and {motion}",
        )
        fusion_model: str | None = Field(None, description="model for the text-only fusion call (null: `model`)")

    def load(self) -> None:
        super().load()
        self.prompts["fusion"] = load_prompt("fusion", self.config.fusion_prompt, key="fusion_prompt")

    def fuse(self, appearance: str, motion: str) -> str:
        """One description of the described character performing the described motion."""
        self.ensure_loaded()
        prompt = fill(self.prompts["fusion"], appearance=appearance, motion=motion)
        what = "fusion of the appearance and motion descriptions"
        return self.calls.ask("fusion", prompt, [], what=what, model=self.config.fusion_model)

    def describe(self, reference: Image, driving: Video) -> str:
        appearance, motion = self.descriptions(reference, driving)
        return self.fuse(appearance, motion)
