"""The chat client over real HTTP: retries, backoff, Retry-After, timeouts, errors, concurrency."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from motionctx.errors import MotionctxError
from motionctx_openai.client import ChatClient, ChatError, parse_retry_after
from motionctx_openai.settings import ChatSettings
from motionctx_openai.testing import Reply, chat

HELLO = [{"role": "user", "content": "hello"}]


def client_for(params: dict, **changes) -> ChatClient:
    settings = {k: v for k, v in params.items() if k != "frames"}
    return ChatClient(ChatSettings(**{**settings, **changes}))


def test_retries_429_and_500_then_succeeds(server, params):
    server.then(Reply(429, {"error": {"message": "slow down"}}), Reply(500, {"error": {"message": "boom"}}))
    server.then(Reply(body=chat("fine")))
    assert client_for(params).complete(HELLO, what="greeting") == "fine"
    assert len(server.requests) == 3
    assert all(r.path == "/v1/chat/completions" for r in server.requests)
    assert server.requests[0].body["model"] == "test-mllm"


def test_backoff_doubles_between_attempts(server, params):
    server.then(Reply(503), Reply(503), Reply(503), Reply(body=chat("ok")))
    client = client_for(params, max_retries=3, backoff_initial=0.05, backoff_max=1.0)
    assert client.complete(HELLO, what="x") == "ok"
    t = [r.time for r in server.requests]
    gaps = [b - a for a, b in zip(t, t[1:])]
    assert gaps[0] >= 0.05 and gaps[1] >= 0.1 and gaps[2] >= 0.2, gaps


def test_backoff_is_capped(server, params):
    server.then(Reply(500), Reply(500), Reply(body=chat("ok")))
    start = time.monotonic()
    client_for(params, backoff_initial=10.0, backoff_max=0.02).complete(HELLO, what="x")
    assert time.monotonic() - start < 2.0


def test_retry_after_header_is_honoured(server, params):
    server.then(Reply(429, {"error": {"message": "quota"}}, headers={"Retry-After": "1"}), Reply(body=chat("ok")))
    assert client_for(params).complete(HELLO, what="x") == "ok"
    gap = server.requests[1].time - server.requests[0].time
    assert gap >= 0.95, gap


def test_parse_retry_after_forms():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    future = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 30))
    assert 25 <= parse_retry_after(future) <= 31
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


def test_slow_reply_times_out_then_retry_succeeds(server, params):
    server.then(Reply(body=chat("late"), delay=0.8), Reply(body=chat("prompt")))
    start = time.monotonic()
    assert client_for(params, timeout=0.2).complete(HELLO, what="x") == "prompt"
    assert time.monotonic() - start < 0.8
    assert len(server.requests) == 2


def test_always_slow_fails_with_timeout_error(server, params):
    server.fallback = lambda seen: Reply(body=chat("late"), delay=0.6)
    with pytest.raises(ChatError) as info:
        client_for(params, timeout=0.15, max_retries=1).complete(HELLO, what="motion description of clip 7")
    msg = str(info.value)
    assert "motion description of clip 7" in msg
    assert f"{server.url}/chat/completions" in msg
    assert "timed out after 0.15 s" in msg and "after 2 attempts" in msg
    assert "raise timeout" in info.value.hint
    assert info.value.status is None


def test_final_server_error_names_status_message_and_endpoint(server, params):
    server.fallback = lambda seen: Reply(500, {"error": {"message": "upstream model crashed", "type": "server_error"}})
    with pytest.raises(MotionctxError) as info:
        client_for(params).complete(HELLO, what="appearance of ref.png")
    err = info.value
    assert isinstance(err, ChatError) and err.status == 500 and err.endpoint.endswith("/v1/chat/completions")
    msg = str(err)
    assert "appearance of ref.png" in msg and "HTTP 500" in msg and "upstream model crashed" in msg
    assert "after 3 attempts" in msg and "test-mllm" in msg
    assert len(server.requests) == 3


def test_client_error_is_not_retried(server, params):
    server.then(Reply(400, {"error": {"message": "model does not support image input"}}))
    with pytest.raises(ChatError) as info:
        client_for(params).complete(HELLO, what="x")
    assert len(server.requests) == 1
    assert "HTTP 400" in str(info.value) and "does not support image input" in str(info.value)
    assert "after 1 attempt:" in str(info.value)


def test_gemini_style_list_error_body(server, params):
    server.then(Reply(404, [{"error": {"code": 404, "message": "models/nope is not found"}}]))
    with pytest.raises(ChatError, match="models/nope is not found") as info:
        client_for(params).complete(HELLO, what="x")
    assert "base_url" in info.value.hint


def test_dropped_connection_is_retried(server, params):
    server.then(Reply(drop=True), Reply(body=chat("ok")))
    assert client_for(params).complete(HELLO, what="x") == "ok"
    assert len(server.requests) == 2


def test_connection_refused_names_the_endpoint(params):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    with pytest.raises(ChatError) as info:
        client_for(params, base_url=url, max_retries=1).complete(HELLO, what="x")
    assert f"{url}/chat/completions" in str(info.value) and "connection failed" in str(info.value)
    assert "after 2 attempts" in str(info.value)


def test_missing_key_variable_is_named(params, monkeypatch):
    monkeypatch.delenv("MOTIONCTX_TEST_OPENAI_KEY")
    with pytest.raises(ChatError, match="MOTIONCTX_TEST_OPENAI_KEY is not set") as info:
        client_for(params).complete(HELLO, what="x")
    assert "export MOTIONCTX_TEST_OPENAI_KEY" in info.value.hint


def test_no_key_variable_sends_no_authorization(server, params):
    client_for(params, api_key_env=None).complete(HELLO, what="x")
    assert "authorization" not in server.requests[0].headers


def test_reply_that_is_not_json(server, params):
    server.then(Reply(body="<html>proxy login</html>"))
    with pytest.raises(ChatError, match="not JSON.*proxy login"):
        client_for(params).complete(HELLO, what="x")


def test_empty_reply_suggests_max_tokens(server, params):
    server.then(Reply(body=chat("", finish_reason="length")))
    with pytest.raises(ChatError, match=r"empty \(finish_reason=length\)") as info:
        client_for(params).complete(HELLO, what="x")
    assert "max_tokens" in info.value.hint


def test_content_as_list_of_parts(server, params):
    server.then(Reply(body={"choices": [{"message": {"content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}}]}))
    assert client_for(params).complete(HELLO, what="x") == "ab"


def test_generation_params_and_extra_body_are_sent(server, params):
    client_for(params, temperature=0.7, max_tokens=50, extra_body={"reasoning_effort": "low"}).complete(HELLO, what="x")
    body = server.requests[0].body
    assert body["temperature"] == 0.7 and body["max_tokens"] == 50 and body["reasoning_effort"] == "low"
    client_for(params, temperature=None, max_tokens=None).complete(HELLO, what="x")
    assert "temperature" not in server.requests[1].body and "max_tokens" not in server.requests[1].body


@pytest.mark.parametrize("limit", [1, 3])
def test_concurrency_limit(server, params, limit):
    server.fallback = lambda seen: Reply(body=chat("ok"), delay=0.2)
    client = client_for(params, max_concurrency=limit)
    threads = [threading.Thread(target=client.complete, args=(HELLO,), kwargs={"what": "x"}) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(server.requests) == 6
    assert server.max_in_flight == limit


def test_bad_base_url(params):
    with pytest.raises(ChatError, match="not a usable URL"):
        client_for(params, base_url="localhost:8000/v1").complete(HELLO, what="x")
