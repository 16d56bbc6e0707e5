"""An httpx transport that counts every FxSocket request (endpoint template, method, status, time) it carries."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Protocol

import httpx

log = logging.getLogger(__name__)


class RequestObserver(Protocol):
    """Told once per HTTP attempt (a resent 429 counts again); `status` None: no answer (a transport error)."""

    def request_done(self, path: str, method: str, status: int | None, seconds: float) -> None: ...


class CountingTransport(httpx.AsyncBaseTransport):
    """Wraps the shared client's transport: the FxSocket library and backends stay unaware of metrics."""

    def __init__(self, observer: RequestObserver, inner: httpx.AsyncBaseTransport | None = None,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self._observer = observer
        self._inner = inner if inner is not None else httpx.AsyncHTTPTransport()
        self._clock = clock

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        started = self._clock()
        try:
            response = await self._inner.handle_async_request(request)
        except Exception:
            self._observer.request_done(request.url.path, request.method, None, self._clock() - started)
            raise
        self._observer.request_done(request.url.path, request.method, response.status_code, self._clock() - started)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


def count_requests(client: httpx.AsyncClient, observer: RequestObserver) -> None:
    """Count the requests of an HTTP client built by someone else (the fxsocket SDK makes its own clients): its
    transports (the default one and any proxy mounts) are wrapped in place, once. httpx keeps them in private
    attributes; when a future httpx moves them, nothing is counted (logged once) and requests are unaffected."""
    transport = getattr(client, "_transport", None)
    if not isinstance(transport, httpx.AsyncBaseTransport):
        _warn_uncounted()
        return
    if not isinstance(transport, CountingTransport):
        client._transport = CountingTransport(observer, transport)
    mounts = getattr(client, "_mounts", None)
    if isinstance(mounts, dict):
        for pattern, mounted in list(mounts.items()):
            if isinstance(mounted, httpx.AsyncBaseTransport) and not isinstance(mounted, CountingTransport):
                mounts[pattern] = CountingTransport(observer, mounted)


_warned: list[bool] = []


def _warn_uncounted() -> None:
    if not _warned:
        _warned.append(True)
        log.warning("metrics: this httpx keeps its transport elsewhere; the SDK backend's requests are not counted")
