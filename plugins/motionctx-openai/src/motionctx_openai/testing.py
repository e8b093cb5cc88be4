"""A scripted OpenAI-compatible chat-completions server for tests and offline trials.

It listens on 127.0.0.1 (a free port), records every request it receives, and answers from a
script of :class:`Reply` objects, then from ``fallback``: by default a motion description when a
request carries several images, an appearance description for one, a fused text for none. Only the
standard library is used::

    with FakeChatServer() as srv:
        srv.then(Reply(429), Reply(500))      # two failures, then the fallback answers
        guider = build_part("text_guider", "mllm_fusion", {"base_url": srv.url, "api_key_env": None})
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MOTION_REPLY = "At the start, the character stands still. Then, the right hand rises to shoulder height, palm out."
APPEARANCE_REPLY = "A knight in dented silver armour with a red plume and a round wooden shield."
FUSED_REPLY = "A knight in dented silver armour raises the right gauntlet to shoulder height, palm out."


def chat(text: str, finish_reason: str = "stop") -> dict[str, Any]:
    """A chat-completions reply body carrying ``text``."""
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish_reason}],
    }


@dataclass
class Reply:
    """What the server answers: a status, a body (dict as JSON, str/bytes as is), headers, a delay,
    or ``drop`` to close the connection without answering."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False


@dataclass
class Seen:
    """One request as the server received it."""

    path: str
    headers: dict[str, str]
    body: Any
    time: float

    def content(self) -> list[dict[str, Any]]:
        """Content parts of the last user message (a string content becomes one text part)."""
        content = [m for m in self.body["messages"] if m["role"] == "user"][-1]["content"]
        return [{"type": "text", "text": content}] if isinstance(content, str) else content

    def images(self) -> list[str]:
        return [p["image_url"]["url"] for m in self.body["messages"] if isinstance(m["content"], list)
                for p in m["content"] if p["type"] == "image_url"]

    def text(self) -> str:
        return "\n".join(p["text"] for p in self.content() if p["type"] == "text")


def default_reply(seen: Seen) -> Reply:
    """Motion for several images, appearance for one, fusion for none."""
    n = len(seen.images())
    return Reply(body=chat(MOTION_REPLY if n > 1 else APPEARANCE_REPLY if n == 1 else FUSED_REPLY))


class FakeChatServer:
    """Answers POST /v1/chat/completions from a script, then from ``fallback``; a context manager."""

    def __init__(self) -> None:
        self.requests: list[Seen] = []
        self.script: list[Reply] = []
        self.fallback: Callable[[Seen], Reply] = default_reply
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)

    def then(self, *replies: Reply) -> FakeChatServer:
        """Answer the next requests with ``replies`` in order."""
        self.script.extend(replies)
        return self

    def _next(self, seen: Seen) -> Reply:
        with self._lock:
            self.requests.append(seen)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            scripted = self.script.pop(0) if self.script else None
        return scripted or self.fallback(seen)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = raw
                seen = Seen(self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.monotonic())
                reply = server._next(seen)
                try:
                    if reply.delay:
                        time.sleep(reply.delay)
                finally:
                    # Counted as answered before the reply leaves, so a request the client sends
                    # only after reading this reply is never seen as overlapping it.
                    with server._lock:
                        server.in_flight -= 1
                if reply.drop:
                    self.close_connection = True
                    return
                data = reply.body
                if self.path != "/v1/chat/completions":
                    reply, data = Reply(404), {"error": {"message": f"no route {self.path}"}}
                if isinstance(data, (dict, list)):
                    data = json.dumps(data)
                payload = data.encode() if isinstance(data, str) else (data or b"")
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout): expected in timeout tests

        return Handler

    def __enter__(self) -> FakeChatServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
