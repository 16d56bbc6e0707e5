"""The watchdog's optional Friday reminder: open positions, N minutes before the FX market's weekly close."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from fxbot.domain.broker import BrokerError
from fxbot.domain.formatting import format_time, format_volume
from fxbot.domain.market_hours import weekend_close
from fxbot.notify.notification import Notification, Severity
from fxbot.notify.outbox import Outbox
from fxbot.watchdog.notices import plain_notice

if TYPE_CHECKING:
    from fxbot.services.brokers import BrokerProvider
    from fxbot.storage import Storage


def next_weekly_close(now: datetime) -> datetime | None:
    """The coming Friday 17:00 New York while the market is open (None over the weekend)."""
    if weekend_close(now) is not None:
        return None
    probe = now
    for _ in range(8):
        probe += timedelta(days=1)
        closed = weekend_close(probe)
        if closed is not None:
            return closed.closed_at
    return None


async def weekend_reminders(storage: Storage, brokers: BrokerProvider, outbox: Outbox,
                            bindings: Mapping[str, tuple[int, str | None]], now: datetime) -> list[Notification]:
    """For each chat with `/watchdog weekend N`: once, within N minutes of the weekly close, its open positions."""
    rows = await storage.db.fetch_all("SELECT chat_id, weekend_minutes FROM watchdog_settings"
                                      " WHERE weekend_minutes IS NOT NULL")
    close = next_weekly_close(now)
    if close is None:
        return []
    sent = []
    for row in rows:
        chat_id, minutes = str(row["chat_id"]), int(row["weekend_minutes"])
        if chat_id not in bindings or not close - timedelta(minutes=minutes) <= now < close:
            continue
        key = f"watchdog:weekend:{chat_id}:{close.date().isoformat()}"
        if await outbox.is_known(key):
            continue
        key_id, account_id = bindings[chat_id]
        try:
            positions = await (await brokers.for_key(key_id)).get_positions(account_id=account_id)
        except BrokerError as exc:
            lines: tuple[str, ...] = (f"the open positions could not be read ({exc.code}) — check /positions",)
        else:
            lines = (f"{len(positions)} open position(s):",
                     *(f"{p.type.value} {format_volume(p.volume)} {p.symbol}: {p.profit:+,.2f}" for p in positions))
        timezone = (await storage.settings.get(chat_id)).timezone or "UTC"
        notice = plain_notice(chat_id, f"The FX market closes for the weekend at {format_time(close, timezone)}",
                              lines, key, now, Severity.INFO)
        if await outbox.enqueue(notice):
            sent.append(notice)
    return sent
