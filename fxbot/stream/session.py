"""One broker stream for one stored key: subscriptions, event dispatch to the engine and fills, reconciliation.

Its quotes and their firings' hand-over to the writer are in `quote_firings`, its account updates (account
alerts, the guard) in `accounts`, its order events and lost-event reconciliation in `order_events`, its counters
for /status in `status`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from fxbot.alerts.account_eval import AccountState
from fxbot.alerts.cold_load import release_unused_heap
from fxbot.domain.broker import (
    AccountUpdateEvent,
    Broker,
    BrokerStream,
    OrderEvent,
    QuoteEvent,
    StreamConnected,
    StreamDisconnected,
    StreamErrorEvent,
    StreamEvent,
    StreamSettings,
    SubscriptionEvent,
)
from fxbot.services.alerts import AlertService
from fxbot.stream.accounts import AccountUpdates, SessionAccounts
from fxbot.stream.config import PumpConfig
from fxbot.stream.fills import FillNotifier
from fxbot.stream.firing_chunks import FIRINGS_CHUNK
from fxbot.stream.firing_writer import FiringWriter
from fxbot.stream.observer import StreamObserver
from fxbot.stream.order_events import OrderEvents
from fxbot.stream.quote_firings import QuoteFirings
from fxbot.stream.reconcile import RECONCILE_ATTEMPTS, reconcile_accounts, reconcile_fills, reconcile_quotes
from fxbot.stream.status import SessionStatus
from fxbot.stream.stop_manager import StopManager

if TYPE_CHECKING:
    from fxbot.guard.hook import AccountGuard
    from fxbot.services.brokers import BrokerProvider
    from fxbot.storage import Storage

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BoundChat:
    """A chat bound to the session's key: its account (None: the key's first) and when it was bound."""

    chat_id: str
    account_id: str | None
    bound_at: datetime


class KeyStreamSession(QuoteFirings, AccountUpdates, OrderEvents):
    """Runs one key's stream until cancelled; raises when it cannot go on (the pump restarts it)."""

    def __init__(self, key_id: int, key_name: str, chats: list[BoundChat], *, storage: Storage,
                 brokers: BrokerProvider, alerts: AlertService, fills: FillNotifier,
                 clock: Callable[[], datetime], config: PumpConfig, observer: StreamObserver | None = None) -> None:
        self.key_id = key_id
        self.observer = observer
        self.manager: StopManager | None = None  # bot-managed stops (breakeven, trailing), set by the pump
        self.status = SessionStatus(key_id=key_id, key_name=key_name)
        self.guard: AccountGuard | None = None  # the account guard, judged on account updates and reconciles
        self._chats = list(chats)
        self._storage = storage
        self._brokers = brokers
        self._alerts = alerts
        self._fills = fills
        self._clock = clock
        self._config = config
        self._acc = SessionAccounts()
        self._default_account: str | None = None
        self._stream: BrokerStream | None = None
        self._broker: Broker | None = None
        self._quotes: dict[str, str] = {}  # subscribed symbol -> account id it was asked for
        self._channels: set[str] = set()  # accounts whose orders + account channels are subscribed
        self.acked_quotes: set[str] = set()
        self._gap: set[tuple[str, str]] = set()
        self._pending_accounts: dict[str, AccountState] = {}
        self._account_wake = asyncio.Event()
        self._orders: asyncio.Queue[OrderEvent] = asyncio.Queue(maxsize=config.order_queue_max)
        self._resync_kinds: set[str] = set()  # "orders" / "account": events of these were lost
        self._resync_since: datetime | None = None
        self._resync_wake = asyncio.Event()
        self._writer = FiringWriter(alerts.deliver, self._after_written)  # quotes' firings, persisted in bursts
        self.firings_chunk = FIRINGS_CHUNK
        self._sync_lock = asyncio.Lock()

    @property
    def chats(self) -> list[BoundChat]:
        return list(self._chats)

    # -- control from the pump ----------------------------------------------------------------

    async def update_chats(self, chats: list[BoundChat]) -> None:
        """The chats bound to this key changed: re-resolve accounts and subscriptions."""
        self._chats = list(chats)
        if self._broker is not None:
            await self._resolve_accounts()
            await self.sync_subscriptions()

    async def sync_subscriptions(self) -> None:
        """Subscribe quotes only for symbols with live rules or open positions; orders + account per account."""
        stream = self._stream
        if stream is None:
            return
        async with self._sync_lock:
            wanted: dict[str, str] = {}
            watched = self._alerts.engine.watched_symbols()
            for account_id in sorted(self._acc.chats):
                symbols = set(watched.get(account_id, ())) | set(self._acc.positions.get(account_id, {}).values())
                for symbol in sorted(symbols):
                    wanted.setdefault(symbol, account_id)
            gone = sorted(set(self._quotes) - set(wanted))
            if gone:
                await stream.unsubscribe_quotes(gone)
                for symbol in gone:
                    self._quotes.pop(symbol, None)
                    self.acked_quotes.discard(symbol)
            by_account: dict[str, list[str]] = {}
            for symbol, account_id in wanted.items():
                if symbol not in self._quotes:
                    by_account.setdefault(account_id, []).append(symbol)
            for account_id, adding in by_account.items():
                await stream.subscribe_quotes(adding, account_id=account_id)
                for symbol in adding:
                    self._quotes[symbol] = account_id
            for account_id in sorted(set(self._acc.chats) - self._channels):
                await stream.subscribe_orders(account_id=account_id)
                await stream.subscribe_account(account_id=account_id)
                self._channels.add(account_id)
            self.status.subscriptions = len(self._quotes) + 2 * len(self._channels)

    # -- the run ------------------------------------------------------------------------------

    async def run(self) -> None:
        self._broker = await self._brokers.for_key(self.key_id)
        config = self._config
        stream = await self._brokers.open_stream(self.key_id, StreamSettings(
            reconnect_min_s=config.reconnect_min_s, reconnect_max_s=config.reconnect_max_s,
            silence_timeout_s=config.silence_timeout_s, on_events_lost=self._events_lost))
        self._stream = stream
        try:
            # One task group: a helper that crashes ends the whole session (the pump logs it, shows it in
            # /status and restarts it), and the reader ending or failing stops the helpers.
            async with asyncio.TaskGroup() as group:
                helpers = [group.create_task(self._account_loop(), name=f"pump-accounts-{self.key_id}"),
                           group.create_task(self._order_loop(), name=f"pump-orders-{self.key_id}"),
                           group.create_task(self._resync_loop(), name=f"pump-resync-{self.key_id}"),
                           group.create_task(self._writer.run(), name=f"pump-firings-{self.key_id}")]
                await self._resolve_accounts()
                await self.sync_subscriptions()
                async for event in stream:
                    self.status.last_event_at = self._clock()
                    await self._dispatch(event)
                await self._writer.drain()
                for task in helpers:  # the stream ended (closed): nothing more to do
                    task.cancel()
        except BaseExceptionGroup as failed:
            error = _first_error(failed, self.key_id)
            current = asyncio.current_task()
            if current is not None and current.cancelling():  # being stopped anyway: do not swallow that
                raise asyncio.CancelledError() from error
            raise error from None
        finally:
            self._stream = None
            self.status.connected = False
            await stream.close()

    async def _dispatch(self, event: StreamEvent) -> None:
        if isinstance(event, QuoteEvent):
            await self._on_quote(event)
        elif isinstance(event, AccountUpdateEvent):
            if event.account_id in self._acc.chats:
                self._pending_accounts[event.account_id] = AccountState.from_account(event.account)
                self._account_wake.set()
        elif isinstance(event, OrderEvent):
            try:
                self._orders.put_nowait(event)
            except asyncio.QueueFull:
                self._order_dropped(event)
        elif isinstance(event, StreamConnected):
            await self._on_connected(event)
        elif isinstance(event, StreamDisconnected):
            self.status.connected = False
            self.status.since = event.at
            self.status.detail = f"disconnected ({event.reason}); reconnecting"
            if self.observer is not None:
                self.observer.stream_gap("disconnect")
            self.acked_quotes.clear()
        elif isinstance(event, SubscriptionEvent):
            if event.channel == "quotes" and event.symbols:
                if event.subscribed:
                    self.acked_quotes.update(event.symbols)
                else:
                    self.acked_quotes.difference_update(event.symbols)
        elif isinstance(event, StreamErrorEvent):
            self.status.detail = f"the stream said: {event.message or event.error}"
            log.warning("stream of key %s: %s (%s)", self.key_id, event.error, event.message)

    async def _on_connected(self, event: StreamConnected) -> None:
        self.status.connected = True
        self.status.since = event.connected_at
        self.status.detail = None
        self.status.refused = False
        now = self._clock()
        if event.reconnected:
            self.status.reconnects += 1
            if self.observer is not None:
                self.observer.stream_reconnected()
            since = (event.disconnected_at or now) - self._config.gap_margin
        else:
            since = now - self._config.startup_lookback
        watched = self._alerts.engine.watched_symbols()
        self._gap = {(a, s) for a in self._acc.chats for s in watched.get(a, ())}
        for attempt in range(RECONCILE_ATTEMPTS):
            try:
                await self._reconcile(since)
                return
            except Exception as exc:
                log.warning("stream of key %s: reconciliation failed (%s), attempt %d",
                            self.key_id, type(exc).__name__, attempt + 1)
                self.status.detail = "reconciliation over REST failed; retrying"
                await asyncio.sleep(self._config.restart_min_s * (attempt + 1))
        self.status.detail = "reconciliation over REST failed; events of the outage may be missing"

    async def _reconcile(self, since: datetime) -> None:
        broker = self._broker
        assert broker is not None
        at = self._clock()
        watched = self._alerts.engine.watched_symbols()
        wanted = {a: set(watched.get(a, ())) for a in self._acc.chats}
        firings, judged = await reconcile_quotes(broker, self._alerts, wanted, at, deliver=self._deliver_chunked)
        self._gap -= judged
        more, currencies = await reconcile_accounts(broker, self._alerts, list(self._acc.chats), at)
        self._acc.currency.update(currencies)
        await self._deliver_chunked(firings + more)
        await self._guard_reconcile()
        for account_id, chat_ids in self._acc.chats.items():
            start = max(since, self._acc.bound_at.get(account_id, since))
            positions = await reconcile_fills(broker, self._fills, account_id, chat_ids, since=start,
                                              currency=self._acc.currency.get(account_id),
                                              missed_before=None if self.status.reconnects else self._fills.started_at)
            self._acc.positions[account_id] = {p.id: p.symbol for p in positions}
            if self.manager is not None:
                await self.manager.reconcile(broker, self.key_id, account_id, positions)
        await self.sync_subscriptions()
        # the first prices after a (re)connect released a cold load's sync keys and whatever a storm fired: the
        # heap pages they held go back to the OS (glibc keeps them otherwise)
        release_unused_heap()


def _leaves(group: BaseExceptionGroup[BaseException]) -> Iterator[BaseException]:
    for error in group.exceptions:
        if isinstance(error, BaseExceptionGroup):
            yield from _leaves(error)
        else:
            yield error


def _first_error(group: BaseExceptionGroup[BaseException], key_id: int) -> BaseException:
    """The error that ended the session (the pump reports it); any others are logged here."""
    errors = list(_leaves(group))
    for other in errors[1:]:
        log.error("stream of key %s: another task failed at the same time", key_id, exc_info=other)
    return errors[0]
