"""``mllm_judge`` scorer: the six Video-Bench dimensions for the ``evaluate`` stage.

Unlike the quality filter of the same name, the judge is shown what the output should be measured
against: the reference image, frames of the driving clip, then frames of the generated video,
each group after a label. Replies are cached by every image and the prompt; a reply that is
still malformed after one re-ask raises a MotionctxError, which the evaluate stage records as a
failure of that pair only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field

from motionctx.parts import Scorer
from motionctx_openai.calls import MllmCalls
from motionctx_openai.judge import DIMENSIONS, ask_for_scores
from motionctx_openai.prompts import load_prompt
from motionctx_openai.settings import ChatSettings, FrameSampling

if TYPE_CHECKING:
    from motionctx.engines.evaluation.case import EvalCase
    from motionctx.types import Video

#: the label before each group of images
LABELS = ("REFERENCE IMAGE:", "DRIVING FRAMES:", "GENERATED FRAMES:")


def labelled_message(prompt: str, groups: list[list[bytes]], detail: str | None) -> dict[str, Any]:
    """One user message: the prompt, then for each group its label and its images."""
    from motionctx_openai.media import image_part

    content: list[dict[str, Any]] = [{"type": "text", "text": prompt}]
    for label, jpegs in zip(LABELS, groups):
        content.append({"type": "text", "text": label})
        content.extend(image_part(j, detail) for j in jpegs)
    return {"role": "user", "content": content}


class MllmJudgeScorer(Scorer):
    """An MLLM scores the output 1-5 on six dimensions, seeing the reference and the driving clip."""

    name: ClassVar[str] = "mllm_judge"
    metrics: ClassVar[dict[str, str]] = {d: "higher" for d in DIMENSIONS}

    class Config(ChatSettings):
        temperature: float | None = Field(0.0, ge=0, le=2, description="sampling temperature (null: server default)")
        max_tokens: int | None = Field(256, ge=1, description="reply length limit (null: the server's default)")
        frames: FrameSampling = Field(default_factory=FrameSampling, description="how output frames are sampled and encoded")
        driving_frames: int = Field(4, ge=1, le=32, description="driving frames shown (spread over the clip)")
        judge_prompt: str | None = Field(None, description="path of a text file replacing the built-in prompt")
        json_mode: bool = Field(False, description='send response_format {"type": "json_object"}')

    def load(self) -> None:
        """Read the prompt; no network and no key needed yet."""
        self.prompt = load_prompt("judge_eval", self.config.judge_prompt, key="judge_prompt")
        self.calls = MllmCalls(self.config, detail=self.config.frames.detail)

    def score(self, output: Video, case: EvalCase) -> dict[str, float]:
        from motionctx_openai.media import image_jpeg, video_jpegs

        self.ensure_loaded()
        sampling = self.config.frames
        driving = video_jpegs(case.driving, sampling.model_copy(update={"num_frames": self.config.driving_frames}))
        groups = [[image_jpeg(case.reference, sampling)], driving, video_jpegs(output, sampling)]
        flat = [j for g in groups for j in g]
        key = self.calls.key("judge_eval", self.prompt + "|" + "|".join(str(len(g)) for g in groups), flat)
        what = f"judging case {case.id} ({len(groups[2])} output frames) [inputs {key[:12]}]"

        def produce() -> dict[str, Any]:
            message = labelled_message(self.prompt, groups, sampling.detail)
            return {"scores": ask_for_scores(self.calls.client, [message], DIMENSIONS, what, self.config.model,
                                             self.config.json_mode)}

        record = self.calls.cached(key, produce, task="judge_eval")
        return {d: float(record["scores"][d]) for d in DIMENSIONS}
