"""Bot health for /status: uptime, whether FxSocket answers and how fast, the database, the stream pump, and —
when the chat's broker offers it (`SupportsTerminalStatus`) — each account terminal's broker connection and EA.

Constructor: `HealthService(*, storage: Storage, brokers: BrokerProvider, clock: Callable[[], datetime],
probe: KeylessProbe | None = None)`; `probe` checks FxSocket for chats with no key (the `/v1` backend's).
The stream pump registers itself later with `set_stream_status_provider(provider)`; until then the
stream is reported as not running.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from fxbot.domain.broker import AccountSummary, BrokerError, KeyRefusedError
from fxbot.domain.broker.capabilities import SupportsTerminalStatus, TerminalStatus
from fxbot.errors import FxbotError
from fxbot.services.brokers import BoundBroker, BrokerProvider
from fxbot.services.chat_reads import chat_binding
from fxbot.storage import Storage

log = logging.getLogger(__name__)

PROBE_TIMEOUT_S = 5.0
#: At most this many account terminals are checked for one /status (the chat's account first).
MAX_TERMINALS = 5

KeylessProbe = Callable[..., Awaitable[None]]
"""`await probe(timeout_s=…)` returns when FxSocket answered a request made with no key and raises a
BrokerError (UnreachableError) when it could not be reached."""


@dataclass(frozen=True, slots=True)
class StreamHealth:
    """What the stream pump reports about its FxSocket stream connection."""

    connected: bool
    since: datetime | None = None  # connected (or disconnected) since
    last_event_at: datetime | None = None
    reconnects: int = 0
    subscriptions: int = 0
    detail: str | None = None
    malformed_frames: int = 0  # order/account frames that could not be read (each reconciled over REST)
    dropped_events: int = 0  # order events dropped past the queue's bound (reconciled over REST)
    failures: int = 0  # stream sessions that crashed and were restarted


class StreamStatusProvider(Protocol):
    """Implemented by the stream pump."""

    def stream_health(self) -> StreamHealth: ...


@dataclass(frozen=True, slots=True)
class FxSocketHealth:
    """Whether FxSocket answered, in how many milliseconds, and what the chat's key check said."""

    reachable: bool
    latency_ms: float | None
    detail: str


@dataclass(frozen=True, slots=True)
class TerminalHealth:
    """One account's MetaTrader terminal as it reports itself, or why it could not be read (`error`)."""

    account_id: str
    login: int | None = None
    status: TerminalStatus | None = None
    error: str | None = None

    @property
    def ready(self) -> bool:
        return self.status is not None and self.status.ready


@dataclass(frozen=True, slots=True)
class HealthReport:
    """Everything /status shows. `terminals` is empty unless the chat's broker reports terminal status."""

    started_at: datetime
    uptime: timedelta
    fxsocket: FxSocketHealth
    database_ok: bool
    stream: StreamHealth | None  # None: no stream pump is running
    terminals: tuple[TerminalHealth, ...] = ()


class HealthService:
    """Measures FxSocket reachability on demand; remembers when the bot started."""

    def __init__(self, *, storage: Storage, brokers: BrokerProvider, clock: Callable[[], datetime],
                 probe: KeylessProbe | None = None) -> None:
        self._storage = storage
        self._brokers = brokers
        self._probe = probe
        self._clock = clock
        self._started_at = clock()
        self._stream: StreamStatusProvider | None = None

    def __repr__(self) -> str:
        return f"HealthService(started_at={self._started_at.isoformat()})"

    @property
    def started_at(self) -> datetime:
        return self._started_at

    def set_stream_status_provider(self, provider: StreamStatusProvider | None) -> None:
        """Called by the stream pump when it starts (and with None when it stops)."""
        self._stream = provider

    async def report(self, chat_id: str) -> HealthReport:
        """A fresh health report; FxSocket is checked with the chat's key when it has one."""
        fxsocket, terminals = await self._check_fxsocket(chat_id)
        stream: StreamHealth | None = None
        if self._stream is not None:
            try:
                stream = self._stream.stream_health()
            except Exception:  # a broken provider must not break /status
                log.warning("stream status provider failed", exc_info=True)
                stream = StreamHealth(connected=False, detail="the stream pump did not answer")
        now = self._clock()
        return HealthReport(
            started_at=self._started_at,
            uptime=now - self._started_at,
            fxsocket=fxsocket,
            database_ok=await self._check_database(),
            stream=stream,
            terminals=terminals,
        )

    async def _check_database(self) -> bool:
        try:
            return bool(await self._storage.db.fetch_value("SELECT 1") == 1)
        except Exception:
            log.warning("database check failed", exc_info=True)
            return False

    async def _check_fxsocket(self, chat_id: str) -> tuple[FxSocketHealth, tuple[TerminalHealth, ...]]:
        if await chat_binding(self._storage, chat_id) is None:
            return await self._probe_without_key(), ()
        started = time.perf_counter()
        try:
            bound = await self._brokers.for_chat(chat_id)
            accounts = await bound.broker.list_accounts()
        except KeyRefusedError:
            elapsed = (time.perf_counter() - started) * 1000
            return FxSocketHealth(True, elapsed, "reachable, but it refused this chat's key (revoked?)"), ()
        except BrokerError as exc:
            return FxSocketHealth(False, None, f"not reachable ({exc.code})"), ()
        except FxbotError as exc:
            return FxSocketHealth(False, None, exc.message), ()
        elapsed = (time.perf_counter() - started) * 1000
        health = FxSocketHealth(True, elapsed, f"reachable, key '{bound.key_name}' accepted")
        return health, await self._terminals(bound, accounts)

    async def _terminals(self, bound: BoundBroker, accounts: list[AccountSummary]) -> tuple[TerminalHealth, ...]:
        """Each account terminal's own status, when the broker reports it (the chat's account first)."""
        broker = bound.broker
        if not isinstance(broker, SupportsTerminalStatus) or not accounts:
            return ()
        ordered = sorted(accounts, key=lambda a: a.id != bound.account_id) if bound.account_id else list(accounts)
        chosen = ordered[:MAX_TERMINALS]

        async def one(account: AccountSummary) -> TerminalHealth:
            try:
                status = await asyncio.wait_for(broker.terminal_status(account_id=account.id), PROBE_TIMEOUT_S)
            except TimeoutError:
                return TerminalHealth(account.id, account.login, error=f"did not answer within {PROBE_TIMEOUT_S:g} s")
            except BrokerError as exc:
                return TerminalHealth(account.id, account.login, error=f"could not be read ({exc.code})")
            return TerminalHealth(account.id, account.login, status=status)

        return tuple(await asyncio.gather(*(one(a) for a in chosen)))

    async def _probe_without_key(self) -> FxSocketHealth:
        """Any answer (401 expected) to a request made with no key means FxSocket is reachable."""
        if self._probe is None:
            return FxSocketHealth(False, None, "not checked (this chat has no key to check)")
        started = time.perf_counter()
        try:
            await self._probe(timeout_s=PROBE_TIMEOUT_S)
        except BrokerError as exc:
            return FxSocketHealth(False, None, f"not reachable ({exc.message})")
        elapsed = (time.perf_counter() - started) * 1000
        return FxSocketHealth(True, elapsed, "reachable (this chat has no key to check)")
