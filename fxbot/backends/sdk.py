"""The SDK backend: `fxs_live_…` (full) and `fxs_ro_…` (read-only) keys, through the official `fxsocket` SDK.

Register it beside the `/v1` backend:
    BrokerBackends([V1Backend(...), SdkBackend(management_url=settings.fxsocket.management_url, pacer=pacer)])

One `KeyContext` (the SDK's `AsyncClient` with its per-terminal HTTP clients, the account list, symbol
maps, server clocks) is shared by every client and stream of a key and closed when the last of them is
closed (`close_broker(broker)`, `await stream.close()`), or by `aclose()`.
"""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
from websockets.asyncio.client import connect as websockets_connect

from fxbot.backends.sdk_broker import SdkBroker
from fxbot.backends.sdk_calls import SdkCaller
from fxbot.backends.sdk_context import KeyContext
from fxbot.backends.sdk_stream import SdkStream
from fxbot.domain.broker.errors import InvalidArgumentError, UnreachableError
from fxbot.domain.broker.factory import KeyKind
from fxbot.domain.broker.ports import StreamSettings
from fxbot.fxsocket.errors import InvalidArgumentError as WireInvalidArgumentError
from fxbot.fxsocket.pacing import RequestPacer
from fxbot.fxsocket.supervisor import ConnectFn
from fxbot.fxsocket.transport import check_api_key
from fxbot.ops.http_metrics import RequestObserver

DEFAULT_MANAGEMENT_URL = "https://api.fxsocket.com/v1"


class SdkBackend:
    """The BrokerBackend of `fxs_live_`/`fxs_ro_` keys; contexts are shared per key and leased out."""

    kind = KeyKind.SDK

    def __init__(self, *, management_url: str = DEFAULT_MANAGEMENT_URL, pacer: RequestPacer | None = None,
                 timeout_s: float = 30.0, verify_terminal_tls: bool = True, read_retries: int = 2,
                 backoff_base_s: float = 0.25, max_rate_limit_retries: int = 3,
                 connect: ConnectFn | None = None, http: httpx.AsyncClient | None = None,
                 observer: RequestObserver | None = None) -> None:
        url = management_url.strip().rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise ValueError("management_url must start with http:// or https://")
        self.management_url = url
        self.pacer = pacer or RequestPacer()
        self._timeout_s = timeout_s
        self._verify_terminal_tls = verify_terminal_tls
        self._caller_settings: dict[str, Any] = {"read_retries": read_retries, "backoff_base_s": backoff_base_s,
                                                 "max_rate_limit_retries": max_rate_limit_retries}
        self._connect = connect or websockets_connect  # replaced by tests
        self._http = http  # only for `probe`; the SDK builds its own HTTP clients
        self._contexts: dict[str, KeyContext] = {}
        self._observer = observer  # counts the SDK clients' HTTP requests (fxbot.ops.metrics)

    def __repr__(self) -> str:
        return f"SdkBackend(management_url={self.management_url!r}, keys={len(self._contexts)})"

    def _lease(self, secret: str) -> KeyContext:
        try:
            check_api_key(secret)
        except WireInvalidArgumentError as exc:
            raise InvalidArgumentError(exc.message) from None
        name = hashlib.sha256(secret.encode()).hexdigest()
        context = self._contexts.get(name)
        if context is None or context.closed:
            context = self._contexts[name] = KeyContext(
                secret, management_url=self.management_url, pacer=self.pacer, timeout_s=self._timeout_s,
                verify_terminal_tls=self._verify_terminal_tls, caller=SdkCaller(self.pacer, **self._caller_settings),
                observer=self._observer)
        context.leases += 1
        return context

    async def _release(self, context: KeyContext) -> None:
        context.leases -= 1
        if context.leases > 0 or context.closed:
            return
        for name, held in list(self._contexts.items()):
            if held is context:
                del self._contexts[name]
        await context.aclose()

    def client(self, secret: str) -> SdkBroker:
        """A Broker for the key (no I/O yet); `close_broker(broker)` lets go of it."""
        return SdkBroker(self._lease(secret), release=self._release)

    def stream(self, secret: str, settings: StreamSettings | None = None) -> SdkStream:
        """A not yet connected stream for the key; closing it lets go of it."""
        return SdkStream(self._lease(secret), settings, connect=self._connect, release=self._release)

    async def probe(self, *, timeout_s: float = 5.0) -> None:
        """Check that the management API answers at all, with no key (any HTTP answer, a 401 expected, means
        reachable); UnreachableError when nothing answered."""
        http = self._http or httpx.AsyncClient()
        try:
            await http.get(f"{self.management_url}/accounts", timeout=timeout_s)
        except httpx.HTTPError as exc:
            raise UnreachableError(type(exc).__name__, write=False) from exc
        finally:
            if self._http is None:
                await http.aclose()

    async def aclose(self) -> None:
        """Close every key's SDK client (and the probe's HTTP client when one was given)."""
        contexts, self._contexts = list(self._contexts.values()), {}
        for context in contexts:
            if not context.closed:
                await context.aclose()
        if self._http is not None:
            await self._http.aclose()
