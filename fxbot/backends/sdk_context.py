"""What one SDK key and each of its accounts need to be talked to: the SDK client, the account list, and per
account its terminal client, symbol map, server clock and symbol specs, each cached with an expiry.

A `KeyContext` is shared by the REST client and the stream of one key (the backend leases it out and
closes it when the last user lets go). Terminal calls go through `AccountContext.call`, which paces per
account and turns a terminal 401 into the right refusal: the key revoked, or an account the key no
longer reaches.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar

import fxsocket
from fxsocket.models import OpenedOrder
from fxsocket.terminal.client import AsyncTerminalClient

from fxbot.backends import sdk_mapping as mapping
from fxbot.backends.sdk_accounts import AccountDirectory
from fxbot.backends.sdk_calls import SdkCaller
from fxbot.backends.sdk_errors import translate
from fxbot.backends.sdk_symbols import SymbolMap
from fxbot.backends.sdk_time import BrokerClock, offset_of, parse_server_time
from fxbot.domain.broker.errors import AccountOutsideKeyError, BrokerError, KeyRefusedError
from fxbot.domain.broker.symbols import SymbolSpec
from fxbot.fxsocket.pacing import RequestPacer
from fxbot.fxsocket.transport import key_fingerprint
from fxbot.ops.http_metrics import RequestObserver, count_requests

log = logging.getLogger(__name__)

T = TypeVar("T")
V = TypeVar("V")
Monotonic = Callable[[], float]
UtcNow = Callable[[], datetime]

SYMBOLS_TTL_S = 3600.0
SPEC_TTL_S = 3600.0
CLOCK_TTL_S = 3600.0  # `/ServerTimezone` is re-read at least hourly (and on every stream (re)connect)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class _Cached(Generic[V]):
    """One value with an expiry, loaded once at a time."""

    def __init__(self, ttl_s: float, clock: Monotonic) -> None:
        self._ttl_s = ttl_s
        self._clock = clock
        self.value: V | None = None
        self._loaded_at = 0.0
        self._lock = asyncio.Lock()

    def fresh(self) -> V | None:
        if self.value is not None and self._clock() - self._loaded_at < self._ttl_s:
            return self.value
        return None

    def put(self, value: V) -> V:
        self.value, self._loaded_at = value, self._clock()
        return value

    def expire(self) -> None:
        self._loaded_at = float("-inf")

    async def get(self, load: Callable[[], Awaitable[V]]) -> V:
        found = self.fresh()
        if found is not None:
            return found
        async with self._lock:
            found = self.fresh()
            return found if found is not None else self.put(await load())


class AccountContext:
    """One account of a key: its terminal client and the cached facts needed to read it."""

    def __init__(self, key: KeyContext, account: fxsocket.Account) -> None:
        self.key = key
        self.account = account
        self.id = account.id
        self._terminal: AsyncTerminalClient | None = None
        self._symbols = _Cached[SymbolMap](SYMBOLS_TTL_S, key.monotonic)
        self._clock = _Cached[BrokerClock](CLOCK_TTL_S, key.monotonic)
        self._specs: dict[str, _Cached[SymbolSpec]] = {}
        self._opened: asyncio.Future[list[OpenedOrder]] | None = None
        # position ticket -> (commission, volume) of its `In` deal: a position row carries no commission
        self.entry_commissions: dict[int, tuple[float, float]] = {}

    def __repr__(self) -> str:
        return f"AccountContext({self.id!r}, platform={self.account.platform.value})"

    @property
    def mt4(self) -> bool:
        return self.account.platform is fxsocket.Platform.MT4

    @property
    def terminal(self) -> AsyncTerminalClient:
        """The SDK's terminal client (AccountDisconnectedError while the account has no terminal URL)."""
        if self._terminal is None:
            try:
                self._terminal = self.key.client.terminal(self.account)
            except fxsocket.FxSocketError as exc:
                raise translate(exc, write=False, what=f"account {self.id}") from exc
            if self.key.observer is not None:
                count_requests(self._terminal._client, self.key.observer)  # the SDK's own HTTP client
        return self._terminal

    async def call(self, fn: Callable[[AsyncTerminalClient], Awaitable[T]], *, write: bool, what: str) -> T:
        """One terminal call, paced in this account's bucket; port errors only."""
        terminal = self.terminal
        return await self.key.terminal_call(self.id, lambda: fn(terminal), write=write,
                                            what=f"{what} on account {self.id}")

    # --- cached facts

    async def symbols(self) -> SymbolMap:
        async def load() -> SymbolMap:
            return SymbolMap.build(await self.call(lambda t: t.symbols(), write=False, what="GET /symbols"))

        return await self._symbols.get(load)

    async def clock(self, *, fresh: bool = False) -> BrokerClock:
        """The account's server clock (re-read when `fresh`, e.g. on a stream (re)connect)."""
        if fresh:
            self._clock.expire()

        async def load() -> BrokerClock:
            zone = await self.call(lambda t: t.server_timezone(), write=False, what="GET /ServerTimezone")
            offset = zone.utc_offset_seconds
            observed = BrokerClock(offset, self._server_moment(zone.server_time, offset))
            previous = self._clock.value
            return observed if previous is None else observed.learned_from(previous)

        return await self._clock.get(load)

    def _server_moment(self, server_time: str, offset_s: int) -> datetime:
        """The real moment the terminal's clock read `server_time` (its own clock decides the season, not ours)."""
        try:
            return parse_server_time(server_time).replace(tzinfo=UTC) - timedelta(seconds=offset_s)
        except ValueError:
            return self.key.utc_now()

    def cached_clock(self) -> BrokerClock | None:
        return self._clock.value

    def cached_symbols(self) -> SymbolMap | None:
        return self._symbols.value

    def observe_server_time(self, text: str) -> None:
        """A server time the terminal just reported (stream `terminal` frames): follow a daylight saving switch (the
        offset moving by one hour) at once, without waiting for `/ServerTimezone` to be read again."""
        current = self._clock.value
        if current is None:
            return
        now = self.key.utc_now()
        try:
            observed = offset_of(parse_server_time(text), now)
        except ValueError:
            return
        if abs(observed - current.offset_at(now)) != 3600:
            return  # no daylight saving switch: the same offset, or a clock (the terminal's or ours) that is off
        log.info("account %s: the broker's UTC offset is now %+.2f h (was %+.2f h)", self.id, observed / 3600,
                 current.offset_at(now) / 3600)
        self._clock.put(BrokerClock(observed, now).learned_from(current))

    async def spec(self, broker_symbol: str) -> SymbolSpec:
        cached = self._specs.get(broker_symbol)
        if cached is None:
            cached = self._specs[broker_symbol] = _Cached[SymbolSpec](SPEC_TTL_S, self.key.monotonic)
        symbols = await self.symbols()

        async def load() -> SymbolSpec:
            info = await self.call(lambda t: t.symbol_info(broker_symbol), write=False, what="GET /SymbolInfo")
            return mapping.symbol_spec(info, symbols.canonical(broker_symbol))

        return await cached.get(load)

    def cached_spec(self, broker_symbol: str) -> SymbolSpec | None:
        cached = self._specs.get(broker_symbol)
        return None if cached is None else cached.value

    async def opened_orders(self) -> list[OpenedOrder]:
        """`/OpenedOrders`; concurrent callers (positions and orders read together) share one request."""
        shared = self._opened
        if shared is None or shared.done():
            shared = asyncio.ensure_future(self.call(lambda t: t.opened_orders(), write=False,
                                                     what="GET /OpenedOrders"))
            shared.add_done_callback(lambda f: f.cancelled() or f.exception())
            self._opened = shared
        return list(await asyncio.shield(shared))


class KeyContext:
    """One SDK key: its `fxsocket.AsyncClient`, account list and account contexts. Never shows the key."""

    def __init__(self, secret: str, *, management_url: str, pacer: RequestPacer, timeout_s: float = 30.0,
                 verify_terminal_tls: bool = True, caller: SdkCaller | None = None,
                 monotonic: Monotonic = time.monotonic, utc_now: UtcNow = _utc_now,
                 observer: RequestObserver | None = None) -> None:
        self.fingerprint = key_fingerprint(secret)
        self.read_only = secret.startswith("fxs_ro_")
        self._secret = secret
        self.management_url = management_url
        self.client = fxsocket.AsyncClient(api_key=secret, base_url=management_url, timeout=timeout_s,
                                           verify_terminal_tls=verify_terminal_tls)
        self.observer = observer  # told of every HTTP request of the SDK's clients (the metrics)
        if observer is not None:
            count_requests(self.client._http_client, observer)
        self.verify_terminal_tls = verify_terminal_tls
        self.caller = caller or SdkCaller(pacer)
        self.monotonic = monotonic
        self.utc_now = utc_now
        self.directory = AccountDirectory(self.client, self.caller, bucket=f"sdk-key:{self.fingerprint}",
                                          read_only=self.read_only, clock=monotonic)
        self._accounts: dict[str, AccountContext] = {}
        self.leases = 0
        self.closed = False

    def __repr__(self) -> str:
        kind = "read-only" if self.read_only else "full"
        return f"KeyContext(key=<{kind} {self.fingerprint}>, management_url={self.management_url!r})"

    @property
    def secret(self) -> str:
        """The key itself, for the stream's `?api_key=` only (never log it)."""
        return self._secret

    async def account(self, account_id: str | None) -> AccountContext:
        """The context of an account (the key's first when None); port errors when the key does not reach it."""
        found = await self.directory.get(account_id)
        context = self._accounts.get(found.id)
        if context is None or (context.account.rest_url, context.account.ws_url) != (found.rest_url, found.ws_url):
            context = self._accounts[found.id] = AccountContext(self, found)  # new, or re-provisioned
        return context

    async def terminal_call(self, account_id: str, fn: Callable[[], Awaitable[T]], *, write: bool, what: str) -> T:
        try:
            return await self.caller.call(fn, bucket=account_id, write=write, what=what)
        except KeyRefusedError as exc:
            if exc.status != 401:
                raise
            raise await self.terminal_refusal(account_id, exc) from exc

    async def terminal_refusal(self, account_id: str, refused: BrokerError) -> BrokerError:
        """What a terminal's 401 means: the management API refusing too (the key is revoked), or the account
        missing from the key's fresh list (outside a read-only key's selected accounts), else `refused`."""
        try:
            listed = await self.directory.listed(account_id)
        except KeyRefusedError as exc:
            return exc
        except BrokerError:
            return refused
        if not listed:
            return AccountOutsideKeyError(
                f"this key does not reach account {account_id} (its terminal refused the key; a read-only key "
                "limited to selected accounts reaches only those)", status=401)
        return refused

    async def aclose(self) -> None:
        self.closed = True
        await self.client.aclose()
