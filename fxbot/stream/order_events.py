"""Order events of a stream session: the bounded queue, fills and positions, lost events reconciled over REST."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from fxbot.alerts.fills import FillEvent
from fxbot.domain.broker import Broker, LostChannel, OrderEvent
from fxbot.services.alerts import AlertService
from fxbot.stream.config import PumpConfig
from fxbot.stream.fills import FillNotifier, enrich_close
from fxbot.stream.observer import StreamObserver
from fxbot.stream.reconcile import RECONCILE_ATTEMPTS, reconcile_accounts, reconcile_fills
from fxbot.stream.status import SessionStatus
from fxbot.stream.stop_manager import StopManager

if TYPE_CHECKING:
    from fxbot.stream.accounts import SessionAccounts

log = logging.getLogger(__name__)


class OrderEvents:
    """The session's order side: events handled in turn off a bounded queue; lost or dropped ones reconciled."""

    key_id: int
    observer: StreamObserver | None
    manager: StopManager | None
    status: SessionStatus
    _alerts: AlertService
    _fills: FillNotifier
    _clock: Callable[[], datetime]
    _config: PumpConfig
    _acc: SessionAccounts
    _default_account: str | None
    _broker: Broker | None
    _orders: asyncio.Queue[OrderEvent]
    _resync_kinds: set[str]
    _resync_since: datetime | None
    _resync_wake: asyncio.Event

    if TYPE_CHECKING:
        async def sync_subscriptions(self) -> None: ...

        async def _guard_reconcile(self) -> None: ...

    async def _order_loop(self) -> None:
        while True:
            event = await self._orders.get()
            try:
                await self._on_order(event)
            except Exception:
                log.exception("stream of key %s: could not handle an %s event", self.key_id, event.kind)
            finally:
                self._orders.task_done()

    def _events_lost(self, channel: LostChannel) -> None:
        """The stream dropped an order or account event it could not read (the backend logged it at warning)."""
        self.status.malformed_frames += 1
        if self.observer is not None:
            self.observer.stream_gap("lost_event")
        self._request_resync(channel)

    def _order_dropped(self, event: OrderEvent) -> None:
        self.status.dropped_order_events += 1
        if self.observer is not None:
            self.observer.stream_gap("queue_overflow")
        if "orders" not in self._resync_kinds:  # once per overflow, not once per event
            log.warning("stream of key %s: %d order events wait already; dropping %s events until the queue "
                        "drains, then reconciling over REST", self.key_id, self._orders.qsize(), event.kind)
        self._request_resync("orders")

    def _request_resync(self, kind: str) -> None:
        now = self._clock()
        self._resync_kinds.add(kind)
        self._resync_since = now if self._resync_since is None else min(self._resync_since, now)
        self._resync_wake.set()

    async def _resync_loop(self) -> None:
        """Reconcile what lost events would have told: fills and positions, or the account alerts."""
        while True:
            await self._resync_wake.wait()
            if "orders" in self._resync_kinds:
                await self._orders.join()  # after the events already queued: a full queue drains first
            self._resync_wake.clear()
            kinds, self._resync_kinds = self._resync_kinds, set()
            since, self._resync_since = self._resync_since, None
            if since is None:
                continue
            for attempt in range(RECONCILE_ATTEMPTS):
                try:
                    await self._resync(kinds, since - self._config.gap_margin)
                    log.info("stream of key %s: reconciled %s over REST after lost stream events",
                             self.key_id, " and ".join(sorted(kinds)))
                    break
                except Exception as exc:
                    log.warning("stream of key %s: reconciling after lost events failed (%s), attempt %d",
                                self.key_id, type(exc).__name__, attempt + 1)
                    await asyncio.sleep(self._config.restart_min_s * (attempt + 1))
            else:
                self.status.detail = "reconciling after lost stream events failed; some fills may be missing"

    async def _resync(self, kinds: set[str], since: datetime) -> None:
        broker = self._broker
        assert broker is not None
        if "account" in kinds:
            firings, currencies = await reconcile_accounts(broker, self._alerts, list(self._acc.chats), self._clock())
            self._acc.currency.update(currencies)
            await self._alerts.deliver(firings)
            await self._guard_reconcile()
        if "orders" in kinds:
            for account_id, chat_ids in list(self._acc.chats.items()):
                start = max(since, self._acc.bound_at.get(account_id, since))
                positions = await reconcile_fills(broker, self._fills, account_id, chat_ids, since=start,
                                                  currency=self._acc.currency.get(account_id), missed_before=start)
                self._acc.positions[account_id] = {p.id: p.symbol for p in positions}
                if self.manager is not None:
                    await self.manager.reconcile(broker, self.key_id, account_id, positions)
            await self.sync_subscriptions()

    async def _on_order(self, event: OrderEvent) -> None:
        account_id = event.account_id or event.data.account_id or self._default_account
        if account_id is None or account_id not in self._acc.chats:
            return
        fill = FillEvent.from_mapping(event.kind, account_id, event.data.model_dump(exclude_none=True))
        positions = self._acc.positions.setdefault(account_id, {})
        resync = False
        if event.kind == "order_closed":
            assert self._broker is not None
            fill, open_now = await enrich_close(fill, self._broker, currency=self._acc.currency.get(account_id))
            if open_now is not None:
                self._acc.positions[account_id] = {p.id: p.symbol for p in open_now}
            elif fill.position_id:
                positions.pop(fill.position_id, None)
            resync = True
        elif fill.position_id and fill.symbol and (
                event.kind == "order_filled" or (fill.status or "").lower() == "filled"):
            positions[fill.position_id] = fill.symbol
            resync = True
        await self._fills.notify(fill, self._acc.chats.get(account_id, []))
        if event.kind == "order_closed" and self.manager is not None and fill.position_id \
                and fill.position_id not in self._acc.positions.get(account_id, {}):
            await self.manager.position_closed(account_id, fill.position_id)
        if event.kind == "order_modified" and self.manager is not None and fill.position_id \
                and "sl" in event.data.model_fields_set:  # someone moved the stop: managed stops start from it
            self.manager.stop_changed(account_id, fill.position_id, event.data.sl)
        if resync:
            await self.sync_subscriptions()
