"""Recipe parameters shared by every MLLM part: the endpoint, the client's behaviour, frame sampling.

The API key is never a parameter. ``api_key_env`` names the environment variable that holds it,
so the key stays out of recipes, saved configs, caches and logs.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from motionctx.parts import PartConfig

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Stands in for a rejected api_key_env value so that the validation error cannot echo a pasted key.
_HIDDEN = "<not a variable name; value hidden because it may be a secret>"


def looks_like_key(value: str) -> bool:
    """True when ``value`` cannot be a variable name, or is a long mixed-case token with digits
    (a pasted key such as ``${GEMINI_API_KEY}`` expanded by the recipe, not a variable's name)."""
    if not _ENV_NAME.fullmatch(value):
        return True
    mixed = any(c.islower() for c in value) and any(c.isupper() for c in value) and any(c.isdigit() for c in value)
    return len(value) >= 24 and mixed


class FrameSampling(BaseModel):
    """Which frames of a video are sent to the model, and how they are encoded."""

    model_config = ConfigDict(extra="forbid")

    num_frames: int = Field(8, ge=1, le=64, description="most frames sent per video")
    sample_fps: float | None = Field(
        None,
        gt=0,
        description="take frames at this rate (frames per second of video) instead of spreading "
        "num_frames evenly; still at most num_frames, the earliest kept",
    )
    max_seconds: float | None = Field(
        None, gt=0, description="only look at the first this many seconds of the video (null: all of it)"
    )
    max_side: int = Field(512, ge=16, le=4096, description="longest image side in pixels after resizing (never upscaled)")
    jpeg_quality: int = Field(85, ge=1, le=95, description="JPEG quality of the images sent")
    detail: Literal["auto", "low", "high"] | None = Field(
        None, description="OpenAI image `detail` hint; left out when null (not every server accepts it)"
    )


class ChatSettings(PartConfig):
    """How to reach an OpenAI-compatible chat-completions endpoint and how patiently."""

    base_url: str = Field(
        "https://api.openai.com/v1",
        description="API root; `/chat/completions` is appended (Gemini: "
        "https://generativelanguage.googleapis.com/v1beta/openai, Ollama: http://localhost:11434/v1)",
    )
    model: str = Field("gpt-4o-mini", description="model name as the server knows it (must accept images)")
    api_key_env: str | None = Field(
        "OPENAI_API_KEY",
        description="NAME of the environment variable holding the API key, never the key itself; "
        "null for local servers that need no key",
    )
    timeout: float = Field(120.0, gt=0, description="seconds to wait for a reply before the attempt counts as failed")
    connect_timeout: float = Field(10.0, gt=0, description="seconds to wait for the connection")
    max_retries: int = Field(3, ge=0, le=20, description="retries after a 429, a 5xx, a timeout or a connection error")
    backoff_initial: float = Field(1.0, ge=0, description="seconds before the first retry; doubled for each next one")
    backoff_max: float = Field(30.0, ge=0, description="longest wait between retries")
    retry_after_max: float = Field(120.0, ge=0, description="longest wait honoured from a server's Retry-After header")
    max_concurrency: int = Field(4, ge=1, le=256, description="most requests in flight at once from this part")
    temperature: float | None = Field(0.2, ge=0, le=2, description="sampling temperature (null: the server's default)")
    max_tokens: int | None = Field(1024, ge=1, description="reply length limit (null: the server's default)")
    extra_body: dict[str, Any] = Field(
        default_factory=dict,
        description="extra JSON fields sent with every request, e.g. {reasoning_effort: low}",
    )
    cache: bool = Field(True, description="reuse earlier replies for identical inputs")
    cache_dir: str | None = Field(
        None, description="reply cache folder (null: $MOTIONCTX_CACHE_DIR/mllm or ~/.cache/motionctx/mllm)"
    )

    @model_validator(mode="before")
    @classmethod
    def _hide_pasted_key(cls, data: Any) -> Any:
        value = data.get("api_key_env") if isinstance(data, dict) else None
        if isinstance(value, str) and looks_like_key(value):
            data = {**data, "api_key_env": _HIDDEN}
        return data

    @field_validator("api_key_env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        if value == _HIDDEN:
            raise ValueError(
                "must be the NAME of an environment variable (letters, digits, _), not the key itself; "
                "export the key as e.g. OPENAI_API_KEY and write api_key_env: OPENAI_API_KEY"
            )
        return value

    def generation_params(self) -> dict[str, Any]:
        """The request fields that change what the model writes (part of every cache key)."""
        params: dict[str, Any] = {}
        if self.temperature is not None:
            params["temperature"] = self.temperature
        if self.max_tokens is not None:
            params["max_tokens"] = self.max_tokens
        params.update(self.extra_body)
        return params
