"""Fixtures: a real HTTP server on 127.0.0.1 per test, a distinctive API key, small inputs."""

from __future__ import annotations

from typing import Any

import pytest

from motionctx_openai.testing import FakeChatServer

KEY_ENV = "MOTIONCTX_TEST_OPENAI_KEY"
KEY = "sk-test-Zq8vW3-distinctive-7c1e"


@pytest.fixture
def server():
    with FakeChatServer() as srv:
        yield srv


@pytest.fixture
def api_key(monkeypatch):
    monkeypatch.setenv(KEY_ENV, KEY)
    return KEY


@pytest.fixture
def params(server, api_key, tmp_path) -> dict[str, Any]:
    """Part parameters pointing at the test server, with tiny backoff delays and a temp cache."""
    return {
        "base_url": server.url,
        "model": "test-mllm",
        "api_key_env": KEY_ENV,
        "timeout": 5.0,
        "max_retries": 2,
        "backoff_initial": 0.001,
        "backoff_max": 0.01,
        "cache_dir": str(tmp_path / "cache"),
        "frames": {"num_frames": 4, "max_side": 64},
    }


@pytest.fixture
def reference():
    import torch

    from motionctx.types import Image

    g = torch.Generator().manual_seed(0)
    return Image(torch.rand(3, 96, 80, generator=g))


@pytest.fixture
def driving():
    import torch

    from motionctx.types import Video

    # 16 frames, each a flat grey of its own level, so frames are told apart by their bytes.
    levels = torch.linspace(0.0, 1.0, 16).view(16, 1, 1, 1)
    return Video(levels.expand(16, 3, 72, 128).contiguous(), fps=8.0)
