"""motionctx-openai: text guidance and quality judging by a multimodal LLM.

Parts (registered by :mod:`motionctx_openai.plugin`):

- ``mllm_fusion`` text guider: the MLLM describes the driving motion and the reference's
  appearance separately, then an LLM fuses both into one prompt (the method's text guidance).
- ``mllm_concat`` text guider: the same two descriptions joined without the fusion call (ablation).
- ``mllm_judge`` quality filter: the MLLM scores a generated video on six dimensions (1-5).

Everything talks to an OpenAI-compatible ``/chat/completions`` endpoint (OpenAI, Gemini, vLLM,
SGLang, Ollama, LM Studio). Importing this package stays light: httpx, PIL and torch are imported
only when a request is made.
"""

from __future__ import annotations

__version__ = "0.1.0"
