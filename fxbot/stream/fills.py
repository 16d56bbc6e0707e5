"""Fill notifications for the stream pump: enrich order events over REST, name who placed them, enqueue per chat."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from fxbot.alerts.fills import FillEvent, chat_dedupe_key, fill_notifications
from fxbot.chat.types import ChatKind
from fxbot.domain.broker import Broker, Position, Trade
from fxbot.domain.formatting import format_lots
from fxbot.notify.notification import Notification
from fxbot.notify.outbox import Outbox
from fxbot.notify.preferences import NotificationPreferences

if TYPE_CHECKING:
    from fxbot.storage import Storage

log = logging.getLogger(__name__)

GAP_FILL_LINE = "This happened while the bot was not connected to the stream."
HISTORY_PAGE = 50
HANDLED_MEMORY = 4096  # order/position ids remembered for wait_handled


def trade_close_event(trade: Trade, account_id: str, *, partial: bool, remaining: float | None,
                      currency: str | None) -> FillEvent:
    """The order_closed event of a history trade (the same dedupe key as the stream's frame)."""
    return FillEvent(
        kind="order_closed", account_id=account_id, id=trade.order_id or trade.position_id or trade.id,
        symbol=trade.symbol, type=trade.type.value, volume=trade.volume, position_id=trade.position_id,
        open_price=trade.open_price, close_price=trade.close_price, profit=trade.profit,
        commission=trade.commission, swap=trade.swap, reason=trade.reason or "manual",
        opened_at=trade.opened_at, closed_at=trade.closed_at, currency=currency,
        status="partially_closed" if partial else None,
        message=f"Remaining {format_lots(remaining)}" if partial and remaining is not None else None,
    )


def position_open_event(position: Position, account_id: str) -> FillEvent:
    """The order_opened (filled) event of an open position found over REST."""
    return FillEvent(
        kind="order_opened", account_id=account_id, id=position.order_id or position.id, symbol=position.symbol,
        type=position.type.value, volume=position.volume, price=position.open_price, status="filled",
        position_id=position.id, sl=position.sl, tp=position.tp,
    )


async def enrich_close(event: FillEvent, broker: Broker, *, currency: str | None
                       ) -> tuple[FillEvent, list[Position] | None]:
    """A stream order_closed event completed from REST: open price, commission, swap, times, partial or not.

    Returns the event and the account's open positions (None when they could not be read).
    """
    account_id = event.account_id
    trade: Trade | None = None
    positions: list[Position] | None = None
    try:
        page = await broker.get_history(limit=HISTORY_PAGE, symbol=event.symbol, account_id=account_id)
        trade = next((t for t in page.trades if event.position_id and t.position_id == event.position_id), None)
    except Exception as exc:
        log.info("stream pump: could not read the history for a close (%s)", type(exc).__name__)
    try:
        positions = await broker.get_positions(account_id=account_id)
    except Exception as exc:
        log.info("stream pump: could not read positions after a close (%s)", type(exc).__name__)
    still_open = next((p for p in positions or () if p.id == event.position_id), None)
    if trade is not None:
        event = replace(
            event,
            open_price=event.open_price if event.open_price is not None else trade.open_price,
            close_price=event.close_price if event.close_price is not None else trade.close_price,
            profit=event.profit if event.profit is not None else trade.profit,
            commission=trade.commission, swap=trade.swap,
            opened_at=trade.opened_at, closed_at=trade.closed_at,
            reason=event.reason or trade.reason,
        )
    if still_open is not None:
        event = replace(event, status="partially_closed", remaining=None,
                        message=f"Remaining {format_lots(still_open.volume)}")
    return replace(event, currency=currency), positions


class FillNotifier:
    """Turns one order event into one notification per bound chat, honouring each chat's preferences."""

    def __init__(self, *, storage: Storage, outbox: Outbox, preferences: NotificationPreferences,
                 clock: Callable[[], datetime]) -> None:
        self._storage = storage
        self._outbox = outbox
        self._preferences = preferences
        self._clock = clock
        #: When the bot started: at the first connect, events after this happened while it was running (its
        #: stream still connecting), so they are not "missed while not connected" (see reconcile_fills).
        self.started_at = clock()
        self._handled: dict[str, None] = {}  # order/position ids of handled events, oldest first (bounded)
        self._handled_changed = asyncio.Condition()

    async def notify(self, event: FillEvent, chat_ids: Sequence[str], *, gap: bool = False) -> int:
        """Enqueue the event for each chat (deduplicated per chat); how many were new."""
        if not chat_ids:
            await self._mark_handled(event)
            return 0
        placed_by = await self._placed_by(event)
        count = 0
        for chat_id in chat_ids:
            shared = self._outbox.chat_kind(chat_id) is ChatKind.GROUP
            one = replace(event, placed_by=placed_by if shared else None)
            for made in await fill_notifications(one, [chat_id], self._preferences.get, now=self._clock()):
                if await self._outbox.enqueue(self._finish(made, chat_id, gap)):
                    count += 1
        await self._mark_handled(event)
        return count

    async def wait_handled(self, refs: Collection[str]) -> None:
        """Return once an order event naming each of these ord_/pos_ ids has been handled (its notifications
        are in the outbox); the caller bounds the wait (an orderly stop lets in-flight fills through)."""
        async with self._handled_changed:
            await self._handled_changed.wait_for(lambda: all(ref in self._handled for ref in refs))

    async def _mark_handled(self, event: FillEvent) -> None:
        for ref in (event.id, event.position_id):
            if ref:
                self._handled.pop(ref, None)
                self._handled[ref] = None
        while len(self._handled) > HANDLED_MEMORY:
            del self._handled[next(iter(self._handled))]
        async with self._handled_changed:
            self._handled_changed.notify_all()

    async def known(self, base_key: str, chat_id: str) -> bool:
        return await self._outbox.is_known(chat_dedupe_key(base_key, chat_id))

    @staticmethod
    def _finish(made: Notification, chat_id: str, gap: bool) -> Notification:
        lines = (*made.lines, GAP_FILL_LINE) if gap else made.lines
        return replace(made, lines=lines)

    async def _placed_by(self, event: FillEvent) -> str | None:
        """The display name of whoever placed the order through the bot (audit log), if anyone did."""
        for ref in (event.id, event.position_id):
            if not ref:
                continue
            try:
                entry = await self._storage.audit.by_order_ref(ref)
                if entry is None:
                    continue
                member = await self._storage.members.get(entry.chat_id, entry.user_id)
            except Exception:
                log.warning("stream pump: could not look up who placed %s", ref, exc_info=True)
                return None
            return member.display_name if member is not None else entry.user_id
        return None
