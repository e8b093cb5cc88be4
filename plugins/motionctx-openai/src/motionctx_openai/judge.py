"""``mllm_judge``: a multimodal model scores a generated video on six dimensions (1-5).

The reply must be one JSON object with exactly the six dimension keys and numbers in [1, 5].
A malformed reply is shown back to the model with what was wrong, once; a second malformed reply
is an error. Valid scores are cached like descriptions.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field

from motionctx.errors import InputError, MotionctxError
from motionctx.parts import QualityFilter
from motionctx_openai.calls import MllmCalls
from motionctx_openai.prompts import load_prompt
from motionctx_openai.settings import ChatSettings, FrameSampling

if TYPE_CHECKING:
    from motionctx.types import Sample, Video

DIMENSIONS: tuple[str, ...] = (
    "imaging_quality",
    "aesthetic_quality",
    "temporal_consistency",
    "motion_smoothness",
    "background_consistency",
    "subject_consistency",
)

_FENCE = re.compile(r"^```(?:json)?\s*\n?(.*?)\n?```$", re.DOTALL | re.IGNORECASE)


def parse_scores(reply: str, dimensions: tuple[str, ...] = DIMENSIONS) -> dict[str, float]:
    """The scores in ``reply``; ValueError saying what is wrong otherwise.

    The reply must be a JSON object (a single surrounding markdown code fence is tolerated) whose
    keys are exactly ``dimensions`` and whose values are numbers from 1 to 5.
    """
    text = reply.strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1).strip()
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"it is not valid JSON ({exc.msg} at position {exc.pos})") from None
    if not isinstance(data, dict):
        raise ValueError(f"it is a JSON {type(data).__name__}, not an object")
    missing = [d for d in dimensions if d not in data]
    extra = [k for k in data if k not in dimensions]
    if missing or extra:
        parts = ([f"missing keys {missing}"] if missing else []) + ([f"unexpected keys {extra}"] if extra else [])
        raise ValueError("; ".join(parts))
    scores: dict[str, float] = {}
    for d in dimensions:
        v = data[d]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 1 <= v <= 5:
            raise ValueError(f"{d} is {v!r}, expected a number from 1 to 5")
        scores[d] = float(v)
    return scores


class MllmJudgeFilter(QualityFilter):
    """Scores ``Sample.target`` (or ``metadata['video']``: a Video or a video path) with an MLLM."""

    name: ClassVar[str] = "mllm_judge"
    dimensions: ClassVar[tuple[str, ...]] = DIMENSIONS

    class Config(ChatSettings):
        temperature: float | None = Field(0.0, ge=0, le=2, description="sampling temperature (null: server default)")
        max_tokens: int | None = Field(256, ge=1, description="reply length limit (null: the server's default)")
        frames: FrameSampling = Field(default_factory=FrameSampling, description="how video frames are sampled and encoded")
        judge_prompt: str | None = Field(None, description="path of a text file replacing the built-in judge prompt")
        json_mode: bool = Field(
            False, description='send response_format {"type": "json_object"} (for servers that support it)'
        )

    def load(self) -> None:
        """Read the prompt; no network and no key needed yet."""
        self.prompt = load_prompt("judge", self.config.judge_prompt, key="judge_prompt")
        self.calls = MllmCalls(self.config, detail=self.config.frames.detail)

    def close(self) -> None:
        """Close the HTTP connections (reopened on the next call)."""
        if getattr(self, "calls", None) is not None:
            self.calls.close()

    def score(self, sample: Sample) -> dict[str, float]:
        from motionctx_openai.media import video_jpegs

        self.ensure_loaded()
        video, source = _generated_video(sample)
        jpegs = video_jpegs(video, self.config.frames)
        key = self.calls.key("judge", self.prompt, jpegs)
        what = f"judging {source} ({video.num_frames} frames, {len(jpegs)} sent) [inputs {key[:12]}]"
        record = self.calls.cached(key, lambda: {"scores": self._ask(jpegs, what)}, task="judge")
        return {d: float(record["scores"][d]) for d in self.dimensions}

    def _ask(self, jpegs: list[bytes], what: str) -> dict[str, float]:
        from motionctx_openai.media import user_message

        messages = [user_message(self.prompt, jpegs, self.config.frames.detail)]
        return ask_for_scores(self.calls.client, messages, self.dimensions, what, self.config.model,
                              self.config.json_mode)


def ask_for_scores(client: Any, messages: list[dict[str, Any]], dimensions: tuple[str, ...], what: str, model: str,
                   json_mode: bool = False) -> dict[str, float]:
    """Send ``messages`` and parse the scores; a malformed reply is shown back to the model with
    what was wrong, once; a second one raises MotionctxError naming the input, model and reply."""
    fields: dict[str, Any] = {"response_format": {"type": "json_object"}} if json_mode else {}
    reply = client.complete(messages, what=what, **fields)
    try:
        return parse_scores(reply, dimensions)
    except ValueError as exc:
        problem = str(exc)
    messages = [
        *messages,
        {"role": "assistant", "content": reply},
        {
            "role": "user",
            "content": f"That reply cannot be used: {problem}. Answer again with only the JSON object: "
            f"exactly the keys {', '.join(dimensions)}, each an integer from 1 to 5.",
        },
    ]
    second = client.complete(messages, what=what, **fields)
    try:
        return parse_scores(second, dimensions)
    except ValueError as exc:
        raise MotionctxError(
            f"{what}: the judge ({model} at {client.endpoint}) gave no valid scores after "
            f"being asked twice: {exc}; last reply: {client.redact(second[:300])!r}",
            "use a model that follows JSON instructions, set json_mode: true if the server supports it, "
            "or adjust judge_prompt",
        ) from None


def _generated_video(sample: Sample) -> tuple[Video, str]:
    """The video to judge and a name for it in messages."""
    from motionctx.types import Video

    meta = sample.metadata or {}
    name = str(meta.get("id") or meta.get("path") or "sample")
    if sample.target is not None:
        return sample.target, f"{name} (target video)"
    video = meta.get("video")
    if isinstance(video, Video):
        return video, f"{name} (metadata video)"
    if isinstance(video, (str, Path)):
        from motionctx.io import read_video

        return read_video(video), str(video)
    raise InputError(
        f"mllm_judge: {name} has no generated video to score",
        "set Sample.target, or metadata['video'] to a Video or a video file path",
    )
