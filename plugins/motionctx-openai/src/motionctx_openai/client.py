"""A small chat-completions client over httpx: retries, backoff, Retry-After, a concurrency limit.

The API key is read from the environment variable the settings name, kept in a private attribute,
sent only in the ``Authorization`` header, and scrubbed from every message this module writes
(some servers echo the key in their error text).
"""

from __future__ import annotations

import email.utils
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from motionctx.errors import MotionctxError
from motionctx_openai.settings import ChatSettings

log = logging.getLogger("motionctx_openai")

RETRY_STATUS = frozenset({408, 409, 425, 429})


class ChatError(MotionctxError):
    """A chat-completions request failed for good; ``status`` is the last HTTP status (None: no reply)."""

    def __init__(self, message: str, hint: str | None = None, *, status: int | None = None, endpoint: str = "") -> None:
        super().__init__(message, hint)
        self.status = status
        self.endpoint = endpoint


def resolve_api_key(env_name: str | None) -> str | None:
    """The key in ``$env_name``; None when no variable is configured; ChatError when it is unset."""
    if env_name is None:
        return None
    key = os.environ.get(env_name, "").strip()
    if not key:
        raise ChatError(
            f"the API key variable {env_name} is not set (the recipe's api_key_env names it)",
            f"export {env_name}=<your key>, or set api_key_env to another variable "
            "(null for a local server that needs no key)",
        )
    return key


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None if absent/bad."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def server_message(response: httpx.Response) -> str:
    """The error text a server put in its reply (OpenAI, Gemini or plain text shapes)."""
    try:
        data = response.json()
    except ValueError:
        return response.text.strip()[:500] or response.reason_phrase
    if isinstance(data, list) and data:
        data = data[0]
    if isinstance(data, dict):
        err = data.get("error", data)
        if isinstance(err, dict):
            return str(err.get("message") or err)[:500]
        return str(err)[:500]
    return str(data)[:500]


def reply_text(data: Any) -> str:
    """``choices[0].message.content`` as text (string or list of text parts); ValueError if absent."""
    try:
        choice = data["choices"][0]
        content = choice["message"].get("content")
    except (KeyError, IndexError, TypeError, AttributeError):
        raise ValueError(f"the reply has no choices[0].message: {json.dumps(data)[:300]}") from None
    if isinstance(content, list):
        content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
    if not isinstance(content, str) or not content.strip():
        reason = choice.get("finish_reason")
        raise ValueError(f"the reply is empty (finish_reason={reason})")
    return content.strip()


def _hint(status: int | None, settings: ChatSettings) -> str:
    if status in (401, 403):
        return f"check the key in ${settings.api_key_env} and that it may use model {settings.model!r}"
    if status == 404:
        return f"check base_url (it usually ends in /v1) and the model name {settings.model!r}"
    if status == 429:
        return "the server is rate limiting: lower max_concurrency, or raise max_retries / backoff_initial"
    if status is not None and status >= 500:
        return "the server failed; try again later or raise max_retries"
    if status is not None:
        return f"the server rejected the request; check that model {settings.model!r} accepts images and extra_body"
    return "check base_url and that the server is running; raise timeout for slow models or send fewer frames"


class ChatClient:
    """Sends chat-completions requests; one instance per part, safe to share between threads."""

    def __init__(self, settings: ChatSettings, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings
        self.endpoint = settings.base_url.rstrip("/") + "/chat/completions"
        self._sleep = sleep
        self._slots = threading.BoundedSemaphore(settings.max_concurrency)
        self._lock = threading.Lock()
        self._http: httpx.Client | None = None
        self._key: str | None = None

    def __repr__(self) -> str:
        return f"ChatClient(endpoint={self.endpoint!r}, model={self.settings.model!r})"

    def _client(self) -> httpx.Client:
        with self._lock:
            if self._http is None:
                self._key = resolve_api_key(self.settings.api_key_env)
                s = self.settings
                self._http = httpx.Client(
                    timeout=httpx.Timeout(s.timeout, connect=s.connect_timeout),
                    limits=httpx.Limits(max_connections=s.max_concurrency),
                )
            return self._http

    def close(self) -> None:
        """Close the connection pool (a later request opens a new one)."""
        with self._lock:
            if self._http is not None:
                self._http.close()
                self._http = None

    def redact(self, text: str) -> str:
        """``text`` with the API key replaced, so it is safe to log or raise."""
        return text.replace(self._key, "[redacted]") if self._key else text

    def complete(self, messages: list[dict[str, Any]], *, what: str, model: str | None = None, **fields: Any) -> str:
        """Send ``messages`` and return the reply text. ``what`` names the input in errors."""
        body = {"model": model or self.settings.model, "messages": messages}
        body.update(self.settings.generation_params())
        body.update(fields)
        data = self.post(body, what=what)
        try:
            return reply_text(data)
        except ValueError as exc:
            raise ChatError(
                f"{what}: POST {self.endpoint} (model {body['model']}): {self.redact(str(exc))}",
                "raise max_tokens if the reply was cut (finish_reason=length), or try another model",
                status=200,
                endpoint=self.endpoint,
            ) from None

    def post(self, body: dict[str, Any], *, what: str) -> Any:
        """POST ``body`` with retries; the decoded JSON reply, or ChatError after the last attempt."""
        s = self.settings
        http = self._client()
        headers = {"Authorization": f"Bearer {self._key}"} if self._key else {}
        attempts = s.max_retries + 1
        status: int | None = None
        for attempt in range(attempts):
            retry_after: float | None = None
            with self._slots:
                try:
                    response = http.post(self.endpoint, json=body, headers=headers)
                except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
                    raise ChatError(
                        f"{what}: base_url {s.base_url!r} is not a usable URL ({exc})",
                        "write the API root with its scheme, e.g. http://127.0.0.1:8000/v1",
                        endpoint=self.endpoint,
                    ) from None
                except httpx.TimeoutException as exc:
                    limit = s.connect_timeout if isinstance(exc, httpx.ConnectTimeout) else s.timeout
                    status, failure = None, f"timed out after {limit:g} s ({type(exc).__name__})"
                except httpx.TransportError as exc:
                    status, failure = None, f"connection failed ({type(exc).__name__}: {exc})"
                else:
                    status = response.status_code
                    if status < 300:
                        return self._decode(response, body, what)
                    failure = f"HTTP {status}: {server_message(response)}"
                    retry_after = parse_retry_after(response.headers.get("retry-after"))
            failure = self.redact(failure)
            retryable = status is None or status in RETRY_STATUS or status >= 500
            if not retryable or attempt == attempts - 1:
                break
            delay = min(s.backoff_max, s.backoff_initial * 2**attempt)
            if retry_after is not None:
                delay = min(retry_after, s.retry_after_max)
            log.warning("%s: %s; retry %d/%d in %.2f s", self.endpoint, failure, attempt + 1, s.max_retries, delay)
            self._sleep(delay)
        tries = f"after {attempt + 1} attempt{'s' if attempt else ''}"
        raise ChatError(
            f"{what}: POST {self.endpoint} (model {body['model']}) failed {tries}: {failure}",
            _hint(status, s),
            status=status,
            endpoint=self.endpoint,
        )

    def _decode(self, response: httpx.Response, body: dict[str, Any], what: str) -> Any:
        try:
            data = response.json()
        except ValueError:
            snippet = self.redact(response.text[:200])
            raise ChatError(
                f"{what}: POST {self.endpoint} (model {body['model']}) answered HTTP {response.status_code} "
                f"with a body that is not JSON: {snippet!r}",
                "check that base_url points at an OpenAI-compatible API root (usually ending in /v1)",
                status=response.status_code,
                endpoint=self.endpoint,
            ) from None
        if isinstance(data, dict) and "error" in data and "choices" not in data:
            raise ChatError(
                f"{what}: POST {self.endpoint} (model {body['model']}) answered with an error: "
                f"{self.redact(server_message(response))}",
                _hint(400, self.settings),
                status=response.status_code,
                endpoint=self.endpoint,
            )
        return data
