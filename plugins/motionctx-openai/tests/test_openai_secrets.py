"""The API key reaches the server's Authorization header and nowhere else: not logs, cache files,
error messages, tracebacks, nor the Config's repr or model_dump."""

from __future__ import annotations

import json
import logging
import traceback

import pytest

from motionctx.errors import MotionctxError, RecipeError
from motionctx.plugins import build_part, load_plugins, set_plugins
from motionctx.types import Sample
from motionctx_openai.guiders import MllmFusionGuider
from motionctx_openai.judge import DIMENSIONS, MllmJudgeFilter
from motionctx_openai.testing import Reply, chat


def test_key_only_in_authorization_header(server, params, api_key, reference, driving, tmp_path, caplog, capfd):
    caplog.set_level(logging.DEBUG)  # every logger, httpx and httpcore included
    seen_text: list[str] = []

    def record_error(call) -> None:
        with pytest.raises(MotionctxError) as info:
            call()
        err = info.value
        seen_text.extend([str(err), repr(err), err.hint or "", "".join(traceback.format_exception(err))])

    # Success: the three guidance calls and a judge call.
    guider = MllmFusionGuider(params)
    assert guider.describe(reference, driving)
    judge = MllmJudgeFilter(params)
    server.then(Reply(body=chat(json.dumps(dict.fromkeys(DIMENSIONS, 4)))))
    judge.score(Sample(reference=reference, target=driving))

    # Failures whose server text echoes the key (as some providers do), after retries or at once.
    echo = {"error": {"message": f"Incorrect API key provided: {api_key}"}}
    server.fallback = lambda seen: Reply(500, echo)
    record_error(lambda: MllmFusionGuider({**params, "model": "m2"}).describe(reference, driving))
    server.fallback = lambda seen: Reply(401, echo)
    record_error(lambda: MllmFusionGuider({**params, "model": "m3"}).describe(reference, driving))
    server.fallback = lambda seen: Reply(200, f"not json {api_key}")
    record_error(lambda: MllmFusionGuider({**params, "model": "m4"}).describe(reference, driving))
    # A judge whose malformed replies quote the key.
    server.fallback = lambda seen: Reply(body=chat(f"my key is {api_key}"))
    record_error(lambda: MllmJudgeFilter({**params, "model": "m5"}).score(Sample(reference=reference, target=driving)))
    # A recipe that pastes the key where the variable's name belongs.
    with pytest.raises(RecipeError) as info:
        MllmFusionGuider({**params, "api_key_env": api_key})
    seen_text.extend([str(info.value), info.value.hint or ""])

    # The server did receive the key, in the header only.
    auth = {r.headers.get("authorization") for r in server.requests}
    assert auth == {f"Bearer {api_key}"}
    # (The judge's re-ask quotes the server's own reply back to it; our own text never has the key.)
    ours = [[m for m in r.body["messages"] if m["role"] != "assistant"] for r in server.requests]
    assert all(api_key not in json.dumps(m) for m in ours)

    out, err = capfd.readouterr()
    assert any(r.name.startswith("httpcore") for r in caplog.records)  # debug logging really was on
    assert any("retry" in r.getMessage() for r in caplog.records)
    seen_text += [caplog.text, out, err] + [r.getMessage() for r in caplog.records]
    for part in (guider, judge):
        seen_text += [repr(part), repr(part.config), part.config.model_dump_json(), str(part.config.model_dump())]
        seen_text += [repr(part.calls), repr(part.calls.client)]
    for text in seen_text:
        assert api_key not in text
    assert any("[redacted]" in t for t in seen_text)

    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(written) >= 4
    for path in written:
        assert api_key.encode() not in path.read_bytes(), path


def test_key_not_in_built_part_or_registry_dump(server, params, api_key):
    set_plugins(load_plugins())
    try:
        part = build_part("text_guider", "mllm_fusion", params)
        assert api_key not in repr(part) and api_key not in part.config.model_dump_json()
        assert part.config.api_key_env == "MOTIONCTX_TEST_OPENAI_KEY"
    finally:
        set_plugins(None)


@pytest.mark.parametrize("pasted", ["sk-proj-Abc123-def456", "AIzaSyD3xampleKEY1234567890abcdefGHIJ", "key with spaces"])
def test_pasted_key_is_rejected_without_echo(pasted):
    with pytest.raises(RecipeError, match="must be the NAME of an environment variable") as info:
        MllmFusionGuider({"api_key_env": pasted})
    assert pasted not in str(info.value) and pasted not in (info.value.hint or "")


@pytest.mark.parametrize("name", ["OPENAI_API_KEY", "GEMINI_API_KEY", "my_key", "VLLM_KEY_2", None])
def test_variable_names_are_accepted(name):
    assert MllmFusionGuider({"api_key_env": name}).config.api_key_env == name
