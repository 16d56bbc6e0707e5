"""SdkStream: the `BrokerStream` of an SDK key — one supervised terminal socket per account, fanned in.

The terminal API streams per account, so one key's stream is as many sockets as accounts subscribed
(`account_id=None` is the key's first account). Each socket reconnects on its own; its
`StreamConnected`/`StreamDisconnected` (and gaps) pass through, so after any of them the consumer
reconciles (all accounts — harmless for those that lost nothing). Quotes are per account
(`QuoteEvent.account_id`). Iteration raises `KeyRefusedError`/`ScopeRefusedError` when the key itself is
refused; an account the key no longer reaches only ends that account's socket, with a
`StreamErrorEvent`. Sockets open when iteration starts (the key's first account at least).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Iterable
from types import TracebackType
from typing import Self

from websockets.asyncio.client import connect as websockets_connect

from fxbot.backends.sdk_context import KeyContext
from fxbot.backends.sdk_socket import AccountSocket
from fxbot.domain.broker.errors import (
    AccessRefusedError,
    AccountOutsideKeyError,
    BrokerError,
    InvalidArgumentError,
    NotFoundError,
)
from fxbot.domain.broker.events import StreamErrorEvent, StreamEvent
from fxbot.domain.broker.ports import StreamSettings
from fxbot.fxsocket.supervisor import ConnectFn

log = logging.getLogger(__name__)

QUEUE_MAX = 1000  # events waiting for the consumer; a full queue holds the sockets back (the server then warns)


class _End:
    """The queue item that ends iteration."""


def clean_symbols(symbols: Iterable[str]) -> list[str]:
    """Upper-cased, de-duplicated symbols; InvalidArgumentError for none or a blank one."""
    if isinstance(symbols, str):
        symbols = [symbols]
    cleaned: list[str] = []
    for symbol in symbols:
        if not isinstance(symbol, str) or not symbol.strip():
            raise InvalidArgumentError("symbols must be non-empty strings")
        cleaned.append(symbol.strip().upper())
    if not cleaned:
        raise InvalidArgumentError("give at least one symbol")
    return list(dict.fromkeys(cleaned))


class SdkStream:
    """Events of every subscribed account of one SDK key (a `BrokerStream`)."""

    def __init__(self, key: KeyContext, settings: StreamSettings | None = None, *,
                 connect: ConnectFn = websockets_connect,
                 release: Callable[[KeyContext], Awaitable[None]] | None = None) -> None:
        self._key = key
        self._settings = settings or StreamSettings()
        self._connect = connect
        self._release = release
        self._sockets: dict[str, AccountSocket] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._queue: asyncio.Queue[StreamEvent | BaseException | _End] = asyncio.Queue(maxsize=QUEUE_MAX)
        self._started = False
        self._closed = False
        self._iterating = False

    def __repr__(self) -> str:
        return f"SdkStream({self._key!r}, accounts={sorted(self._sockets)})"

    @property
    def connected(self) -> bool:
        """True when every open account socket is connected (and there is one)."""
        return bool(self._sockets) and all(s.connected for s in self._sockets.values())

    @property
    def accounts(self) -> list[str]:
        return list(self._sockets)

    # --- subscriptions

    async def _socket(self, account_id: str | None) -> AccountSocket:
        resolved = (await self._key.account(account_id)).id
        socket = self._sockets.get(resolved)
        if socket is None:
            socket = self._sockets[resolved] = AccountSocket(self._key, resolved, self._settings,
                                                             connect=self._connect)
            if self._started and not self._closed:
                self._start(socket)
        return socket

    async def subscribe_quotes(self, symbols: Iterable[str], *, account_id: str | None = None) -> None:
        cleaned = clean_symbols(symbols)
        socket = await self._socket(account_id)
        for symbol in cleaned:
            await socket.subscribe("prices", symbol)

    async def unsubscribe_quotes(self, symbols: Iterable[str]) -> None:
        """Unsubscribe the symbols on every account that has them."""
        cleaned = clean_symbols(symbols)
        for socket in list(self._sockets.values()):
            for symbol in cleaned:
                await socket.unsubscribe("prices", symbol)

    async def subscribe_orders(self, *, account_id: str | None = None) -> None:
        socket = await self._socket(account_id)
        await socket.subscribe("positions")
        await socket.subscribe("trades")

    async def subscribe_account(self, *, account_id: str | None = None) -> None:
        await (await self._socket(account_id)).subscribe("account")

    # --- lifecycle

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.close()

    async def close(self) -> None:
        """Close every socket; iteration then ends. The key's shared context is released (once)."""
        if self._closed:
            return
        self._closed = True
        for task in self._tasks.values():
            task.cancel()
        for socket in self._sockets.values():
            with contextlib.suppress(Exception):
                await socket.close()
        for task in self._tasks.values():
            with contextlib.suppress(BaseException):
                await task
        with contextlib.suppress(asyncio.QueueFull):
            self._queue.put_nowait(_End())
        if self._release is not None:
            await self._release(self._key)

    def __aiter__(self) -> SdkStream:
        return self

    async def __anext__(self) -> StreamEvent:
        if self._iterating:
            raise RuntimeError("SdkStream supports only one iterating task at a time")
        self._iterating = True
        try:
            return await self._next()
        finally:
            self._iterating = False

    async def _next(self) -> StreamEvent:
        if self._closed and self._queue.empty():
            raise StopAsyncIteration
        if not self._started:
            await self._start_all()
        item = await self._queue.get()
        if isinstance(item, _End):
            self._queue.put_nowait(item)  # later calls end too
            raise StopAsyncIteration
        if isinstance(item, BaseException):
            await self.close()
            raise item
        return item

    async def _start_all(self) -> None:
        """Open the sockets (the key's first account's when nothing was subscribed yet)."""
        failures = 0
        while not self._sockets and not self._closed:
            try:
                await self._socket(None)
            except AccessRefusedError:
                await self.close()
                raise
            except BrokerError as exc:  # the account list could not be read yet: try again, as a socket would
                failures += 1
                log.debug("sdk stream: no account yet (%s), attempt %d", type(exc).__name__, failures)
                settings = self._settings
                await asyncio.sleep(random.uniform(0, min(settings.reconnect_max_s,
                                                          settings.reconnect_min_s * 2 ** failures)))
        self._started = True
        for socket in self._sockets.values():
            if socket.account_id not in self._tasks:
                self._start(socket)

    def _start(self, socket: AccountSocket) -> None:
        self._tasks[socket.account_id] = asyncio.get_running_loop().create_task(
            self._pump(socket), name=f"sdk-stream-{socket.account_id}")

    async def _pump(self, socket: AccountSocket) -> None:
        try:
            async for event in socket:
                await self._queue.put(event)
        except (AccountOutsideKeyError, NotFoundError) as exc:  # this account only; the others go on
            log.warning("sdk stream: account %s is not streamed any more (%s)", socket.account_id, exc.code)
            self._sockets.pop(socket.account_id, None)
            self._tasks.pop(socket.account_id, None)
            await self._queue.put(StreamErrorEvent(exc.code, exc.message))
        except Exception as exc:  # the key refused, or a failure no socket should have: the consumer decides
            await self._queue.put(exc)
