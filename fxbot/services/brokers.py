"""BrokerProvider: a shared HTTP client and pacer, one cached FxSocketClient per stored key, per chat."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

from fxbot.domain.access import Scope
from fxbot.errors import UserError
from fxbot.fxsocket.broker import Broker
from fxbot.fxsocket.client import FxSocketClient
from fxbot.fxsocket.pacing import RequestPacer
from fxbot.fxsocket.stream import FxSocketStream

if TYPE_CHECKING:
    from fxbot.storage import Storage

ClientFactory = Callable[[httpx.AsyncClient, str, str, RequestPacer], Broker]


def _default_factory(http: httpx.AsyncClient, api_key: str, base_url: str, pacer: RequestPacer) -> Broker:
    return FxSocketClient(http, api_key=api_key, base_url=base_url, pacer=pacer)


NOT_BOUND_MESSAGE = "this chat is not bound to an FxSocket key yet"
LINK_USAGE = "/link KEY [NAME] [SCOPE]"
NOT_BOUND_USAGE = f"{LINK_USAGE} (in a private chat with the bot), then /bind NAME here"


@dataclass(frozen=True, slots=True)
class BoundBroker:
    """The broker a chat trades through: its key, and its account (None = the key's first)."""

    broker: Broker
    key_id: int
    key_name: str
    scope: Scope
    account_id: str | None


class BrokerProvider:
    """Creates and caches one FxSocketClient per stored key id; a secret is read only to build a client."""

    def __init__(self, storage: Storage, *, http: httpx.AsyncClient, base_url: str, stream_url: str,
                 pacer: RequestPacer | None = None, client_factory: ClientFactory | None = None) -> None:
        self._storage = storage
        self._http = http
        self.base_url = base_url
        self.stream_url = stream_url
        self._pacer = pacer or RequestPacer()
        self._factory = client_factory or _default_factory
        self._clients: dict[tuple[int, str], Broker] = {}

    def __repr__(self) -> str:
        return f"BrokerProvider(base_url={self.base_url!r}, cached={len(self._clients)})"

    @property
    def http(self) -> httpx.AsyncClient:
        """The shared HTTP client (for unauthenticated probes; closed by `aclose`)."""
        return self._http

    def client_for_secret(self, secret: str) -> Broker:
        """A new, uncached client for a secret that is not stored (yet), e.g. to check a key before
        storing it. It shares the HTTP client and pacer; the caller just drops it when done."""
        return self._factory(self._http, secret, self.base_url, self._pacer)

    async def for_key(self, key_id: int) -> Broker:
        """The (cached) client of a stored key; UserError when the key no longer exists.

        The cache is keyed by id and fingerprint, so a key replaced under a reused id never reuses
        the old client.
        """
        key = await self._storage.keys.get(key_id)
        if key is None:
            raise UserError("the FxSocket key this chat used was removed", usage=NOT_BOUND_USAGE)
        cache_key = (key.id, key.fingerprint)
        client = self._clients.get(cache_key)
        if client is None:
            secret = await self._storage.keys.reveal(key_id)
            client = self._factory(self._http, secret, self.base_url, self._pacer)
            self._clients[cache_key] = client
        return client

    async def for_chat(self, chat_id: str) -> BoundBroker:
        """The chat's bound broker; UserError (with how to bind) when the chat has no binding."""
        binding = await self._storage.bindings.get(chat_id)
        if binding is None:
            raise UserError(NOT_BOUND_MESSAGE, usage=NOT_BOUND_USAGE)
        key = await self._storage.keys.get(binding.key_id)
        if key is None:
            raise UserError("the FxSocket key this chat was bound to was removed", usage=NOT_BOUND_USAGE)
        broker = await self.for_key(key.id)
        return BoundBroker(broker=broker, key_id=key.id, key_name=key.name, scope=key.scope,
                           account_id=binding.account_id)

    async def open_stream(self, key_id: int) -> FxSocketStream:
        """A new (not yet connected) stream authenticated with a stored key; the caller closes it."""
        secret = await self._storage.keys.reveal(key_id)
        return FxSocketStream(url=self.stream_url, api_key=secret)

    def invalidate(self, key_id: int) -> None:
        """Drop a cached client (the key was unlinked, replaced or its scope changed)."""
        for cached in [k for k in self._clients if k[0] == key_id]:
            del self._clients[cached]

    async def aclose(self) -> None:
        """Forget every client and close the shared HTTP client."""
        self._clients.clear()
        await self._http.aclose()
