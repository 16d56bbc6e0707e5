"""BrokerProvider: one cached Broker per stored key (from the backend its prefix picks), per chat, and streams."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from fxbot.domain.access import Scope
from fxbot.domain.broker import Broker, BrokerFactory, BrokerStream, StreamSettings, UnsupportedKeyError, close_broker
from fxbot.errors import UserError
from fxbot.services.chat_reads import chat_binding, stored_key

if TYPE_CHECKING:
    from fxbot.storage import Storage, StoredKey

log = logging.getLogger(__name__)


class BrokerSource(BrokerFactory, Protocol):
    """A backend factory the provider owns: it closes it (shared connection pools) in `aclose`."""

    async def aclose(self) -> None: ...


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
    """Creates and caches one Broker per stored key id; a secret is read only to build a client or stream.

    `backends` (a `fxbot.domain.broker.BrokerBackends`) picks the backend per key by its prefix; the
    provider never knows which one it talks to.
    """

    def __init__(self, storage: Storage, backends: BrokerSource) -> None:
        self._storage = storage
        self._backends = backends
        self._clients: dict[tuple[int, str], Broker] = {}

    def __repr__(self) -> str:
        return f"BrokerProvider({self._backends!r}, cached={len(self._clients)})"

    def client_for_secret(self, secret: str) -> Broker:
        """A new, uncached client for a secret that is not stored (yet), e.g. to check a key before
        storing it; the caller closes it when done (`fxbot.domain.broker.close_broker`).
        UnsupportedKeyError when no backend speaks this kind of key."""
        return self._backends.client(secret)

    async def for_key(self, key_id: int) -> Broker:
        """The (cached) client of a stored key; UserError when the key no longer exists.

        The cache is keyed by id and fingerprint, so a key replaced under a reused id never reuses
        the old client.
        """
        key = await stored_key(self._storage, key_id)
        if key is None:
            raise UserError("the FxSocket key this chat used was removed", usage=NOT_BOUND_USAGE)
        return await self._client_of(key)

    async def _client_of(self, key: StoredKey) -> Broker:
        cache_key = (key.id, key.fingerprint)
        client = self._clients.get(cache_key)
        if client is None:
            secret = await self._storage.keys.reveal(key.id)
            try:
                client = self._backends.client(secret)
            except UnsupportedKeyError as exc:  # stored by an fxbot that had a backend for it
                raise UserError(f"the FxSocket key '{key.name}' cannot be used here: {exc.message}",
                                usage=NOT_BOUND_USAGE) from None
            self._clients[cache_key] = client
        return client

    async def for_chat(self, chat_id: str) -> BoundBroker:
        """The chat's bound broker; UserError (with how to bind) when the chat has no binding."""
        binding = await chat_binding(self._storage, chat_id)
        if binding is None:
            raise UserError(NOT_BOUND_MESSAGE, usage=NOT_BOUND_USAGE)
        key = await stored_key(self._storage, binding.key_id)
        if key is None:
            raise UserError("the FxSocket key this chat was bound to was removed", usage=NOT_BOUND_USAGE)
        broker = await self._client_of(key)
        return BoundBroker(broker=broker, key_id=key.id, key_name=key.name, scope=key.scope,
                           account_id=binding.account_id)

    async def open_stream(self, key_id: int, settings: StreamSettings | None = None) -> BrokerStream:
        """A new (not yet connected) stream authenticated with a stored key; the caller closes it."""
        secret = await self._storage.keys.reveal(key_id)
        return self._backends.stream(secret, settings)

    async def invalidate(self, key_id: int) -> None:
        """Drop (and close) the cached client of a key (it was unlinked, replaced or its scope changed)."""
        for cached in [k for k in self._clients if k[0] == key_id]:
            await _close_quietly(self._clients.pop(cached))

    async def aclose(self) -> None:
        """Close every cached client, then the backends (their shared HTTP clients)."""
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await _close_quietly(client)
        await self._backends.aclose()


async def _close_quietly(client: Broker) -> None:
    try:
        await close_broker(client)
    except Exception:  # a client that fails to close must not keep the others (or a stop) from going on
        log.warning("could not close a broker client", exc_info=True)
