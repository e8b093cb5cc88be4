"""Entry point ``openai``: registers ``mllm_fusion``, ``mllm_concat`` and ``mllm_judge`` (a quality filter, and a scorer for ``evaluate``).

Importing this module pulls in pydantic and motionctx only; httpx, PIL and torch are imported
when a part first makes a request.
"""

from __future__ import annotations

from motionctx.hookspecs import hookimpl
from motionctx_openai.guiders import MllmConcatGuider, MllmFusionGuider
from motionctx_openai.judge import MllmJudgeFilter
from motionctx_openai.judge_scorer import MllmJudgeScorer


@hookimpl
def register_text_guiders(register) -> None:
    register(MllmFusionGuider)
    register(MllmConcatGuider)


@hookimpl
def register_quality_filters(register) -> None:
    register(MllmJudgeFilter)


@hookimpl
def register_scorers(register) -> None:
    register(MllmJudgeScorer)
