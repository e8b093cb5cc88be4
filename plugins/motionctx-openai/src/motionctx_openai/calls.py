"""Cached model calls shared by the guiders and the judge: one client, one reply cache."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from motionctx_openai.cache import ReplyCache, cache_key, digest
from motionctx_openai.settings import ChatSettings

if TYPE_CHECKING:
    from motionctx_openai.client import ChatClient

log = logging.getLogger("motionctx_openai")


class MllmCalls:
    """Builds the HTTP client on first use and answers repeated requests from the cache."""

    def __init__(self, settings: ChatSettings, *, detail: str | None = None) -> None:
        self.settings = settings
        self.detail = detail
        self.cache = ReplyCache(settings.cache_dir) if settings.cache else None
        self._client: ChatClient | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"MllmCalls(base_url={self.settings.base_url!r}, model={self.settings.model!r}, cache={self.cache!r})"

    @property
    def client(self) -> ChatClient:
        """The HTTP client (httpx is imported here, not at plugin discovery)."""
        with self._lock:
            if self._client is None:
                from motionctx_openai.client import ChatClient

                self._client = ChatClient(self.settings)
            return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def key(self, task: str, prompt: str, jpegs: list[bytes], model: str | None = None) -> str:
        """The cache key of one request: images, prompt, model, endpoint and generation parameters."""
        return cache_key(
            task=task,
            prompt=prompt,
            images=[digest(j) for j in jpegs],
            model=model or self.settings.model,
            base_url=self.settings.base_url.rstrip("/"),
            params=self.settings.generation_params(),
        )

    def cached(self, key: str, produce: Callable[[], dict[str, Any]], *, task: str, model: str | None = None) -> dict[str, Any]:
        """The record for ``key``: from the cache, else ``produce()`` stored after it succeeds."""
        if self.cache is not None:
            record = self.cache.get(key)
            if record is not None:
                log.debug("cache hit for %s (%s)", task, key[:12])
                return record
        record = produce()
        if self.cache is not None:
            stored = {"task": task, "model": model or self.settings.model, "base_url": self.settings.base_url, **record}
            self.cache.put(key, stored)
        return record

    def ask(self, task: str, prompt: str, jpegs: list[bytes], *, what: str, model: str | None = None) -> str:
        """One user turn (``prompt`` then the images); the reply text, cached by its inputs.

        ``what`` describes the input for error messages; the short cache key is appended.
        """
        from motionctx_openai.media import user_message

        key = self.key(task, prompt, jpegs, model)
        label = f"{what} [inputs {key[:12]}]"

        def produce() -> dict[str, Any]:
            message = user_message(prompt, jpegs, self.detail)
            return {"text": self.client.complete([message], what=label, model=model)}

        return str(self.cached(key, produce, task=task, model=model)["text"])
