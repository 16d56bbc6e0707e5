"""Order events (stream order_* frames or REST reconciliation) -> fill Notifications per ALERTS.md.

Close messages give symbol, side, volume, open -> close price, pips, net P&L (profit +
commission + swap) and duration; in shared chats the pump passes `placed_by` (from the audit log).
Dedupe keys: "fill:{account_id}:{order_or_position_id}:{event_type}" (modifications and partial
closes add their new values, so a second, different one is not dropped).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from fxbot.domain.broker.tickets import display_id
from fxbot.domain.formatting import (
    format_duration,
    format_lots,
    format_price,
    format_signed_money,
    format_signed_pips,
)
from fxbot.domain.instruments import instrument
from fxbot.notify.actions import position_actions
from fxbot.notify.notification import MAX_DEDUPE_KEY_LENGTH, Notification, NotificationAction, Severity

PreferencesLookup = Callable[[str], Awaitable[Mapping[str, str]]]
"""chat_id -> {event_type: "on" | "silent" | "off"} (e.g. NotificationPreferences.get)."""

_CLOSE_TYPES = {"sl": "sl_hit", "tp": "tp_hit", "stop_out": "stop_out", "manual": "closed_manual"}
_REASON_ALIASES = {"stopout": "stop_out", "so": "stop_out", "stop_loss": "sl", "take_profit": "tp"}
_REASON_WORDS = {
    "sl_hit": "closed by stop loss",
    "tp_hit": "closed by take profit",
    "stop_out": "closed by stop-out",
    "closed_manual": "closed manually",
}
_TITLES = {
    "order_placed": "Pending order placed",
    "pending_triggered": "Pending order triggered",
    "position_opened": "Position opened",
    "modified": "Order modified",
    "partial_close": "Position partially closed",
    "cancelled": "Order cancelled",
    "rejected": "Order rejected",
}


@dataclass(frozen=True, slots=True)
class FillEvent:
    """An order event with the fields of FXSOCKET_V1 order_* frames, enriched where the pump can."""

    kind: str
    account_id: str
    id: str
    symbol: str | None = None
    type: str | None = None
    volume: float | None = None
    price: float | None = None
    status: str | None = None
    position_id: str | None = None
    sl: float | None = None
    tp: float | None = None
    open_price: float | None = None
    close_price: float | None = None
    profit: float | None = None
    commission: float | None = None
    swap: float | None = None
    reason: str | None = None
    remaining: float | None = None
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    message: str | None = None
    placed_by: str | None = None
    currency: str | None = None

    @classmethod
    def from_mapping(cls, kind: str, account_id: str, data: Mapping[str, Any]) -> FillEvent:
        """From a frame's `data` dict (or `OrderEventData.model_dump()`); unknown keys are ignored."""
        names = {f.name for f in fields(cls)} - {"kind", "account_id"}
        values = {k: v for k, v in data.items() if k in names}
        if "time" in data and "closed_at" not in values and kind == "order_closed":
            values["closed_at"] = data["time"]
        order_type = values.get("type")
        if order_type is not None:
            values["type"] = str(getattr(order_type, "value", order_type))
        return cls(kind=kind, account_id=account_id, **values)


def event_type_of(event: FillEvent) -> str | None:
    """The ALERTS.md event type of an order event (None for kinds that notify nothing)."""
    if event.kind == "order_opened":
        return "order_placed" if (event.status or "").lower() == "pending" else "position_opened"
    if event.kind == "order_filled":
        return "pending_triggered"
    if event.kind == "order_modified":
        return "modified"
    if event.kind == "order_closed":
        if (event.status or "") == "partially_closed" or (event.remaining or 0) > 0:
            return "partial_close"
        return _CLOSE_TYPES.get(_close_reason(event), "closed_manual")
    if event.kind == "order_cancelled":
        return "cancelled"
    if event.kind == "order_rejected":
        return "rejected"
    return None


def _close_reason(event: FillEvent) -> str:
    reason = (event.reason or "manual").strip().lower().replace("-", "_").replace(" ", "_")
    return _REASON_ALIASES.get(reason, reason)


def is_stop_out(event: FillEvent) -> bool:
    """A close forced by the broker at the stop-out level, in full or in part: always critical."""
    return event.kind == "order_closed" and _close_reason(event) == "stop_out"


def preference_type(event: FillEvent, event_type: str) -> str:
    """The event type whose on/silent/off setting applies: "stop_out" for every stop-out, partial ones too."""
    return "stop_out" if is_stop_out(event) else event_type


def dedupe_key(event: FillEvent, event_type: str) -> str:
    ref = event.position_id if event_type in _REASON_WORDS or event_type == "partial_close" else None
    key = f"fill:{event.account_id}:{ref or event.id}:{event_type}"
    if event_type == "modified":
        key += f":{event.sl}:{event.tp}:{event.price}"
    elif event_type == "partial_close":
        key += f":{event.remaining if event.remaining is not None else event.volume}"
    return key


def chat_dedupe_key(key: str, chat_id: str) -> str:
    """One chat's copy of an event: outbox keys are global while several chats may share one account."""
    full = f"{key}|{chat_id}"
    if len(full) <= MAX_DEDUPE_KEY_LENGTH:
        return full
    return "fillh:" + hashlib.sha256(full.encode()).hexdigest()


def fill_notification(
    event: FillEvent, chat_id: str, *, mode: str = "on", now: datetime, thread_id: str | None = None
) -> Notification | None:
    """The notification of one order event for one chat (None when the chat turned this type off).

    A stop-out, in full or in part, is critical like a margin or drawdown alert: marked so, sent at
    once (no coalescing wait), first in its message, never dropped.
    """
    event_type = event_type_of(event)
    if event_type is None or mode == "off":
        return None
    title, lines = format_fill(event, event_type)
    severity = Severity.CRITICAL if is_stop_out(event) else (
        Severity.WARNING if event_type in ("sl_hit", "rejected") else Severity.INFO
    )
    return Notification(
        chat_id=chat_id, severity=severity, title=title, lines=lines,
        dedupe_key=chat_dedupe_key(dedupe_key(event, event_type), chat_id),
        kind="fill", silent=mode == "silent", created_at=now, thread_id=thread_id,
        actions=_opened_actions(event, event_type),
    )


def _opened_actions(event: FillEvent, event_type: str) -> tuple[NotificationAction, ...]:
    """Close / Close half / Breakeven buttons on a position just opened (an id that is one plain word)."""
    ref = event.position_id or ""
    if event_type not in ("position_opened", "pending_triggered") or not ref or not ref.isprintable() \
            or any(c.isspace() for c in ref) or len(ref) > 64:
        return ()
    return position_actions(ref)


async def fill_notifications(
    event: FillEvent, chat_ids: list[str], preferences: PreferencesLookup, *, now: datetime
) -> list[Notification]:
    """One notification per chat bound to the event's account, honouring each chat's preference."""
    event_type = event_type_of(event)
    if event_type is None:
        return []
    out: list[Notification] = []
    for chat_id in chat_ids:
        modes = await preferences(chat_id)
        made = fill_notification(event, chat_id, mode=modes.get(preference_type(event, event_type), "on"), now=now)
        if made is not None:
            out.append(made)
    return out


def format_fill(event: FillEvent, event_type: str) -> tuple[str, tuple[str, ...]]:
    """Title and lines of an order event."""
    symbol = event.symbol or "?"
    side = (event.type or "").replace("_", " ")
    volume = f" {format_lots(event.volume)}" if event.volume is not None else ""
    if event_type in _REASON_WORDS:
        title = f"{symbol} {side}{volume} {_REASON_WORDS[event_type]}"
        lines = list(_close_lines(event))
    else:
        heading = _TITLES[event_type]
        if event_type == "partial_close" and is_stop_out(event):
            heading = "Position partially closed by stop-out"
        title = f"{heading}: {symbol} {side}{volume}".rstrip()
        lines = []
        if event.price is not None:
            lines.append(f"Price {format_price(symbol, event.price)}")
        if event_type == "partial_close":
            lines.extend(_close_lines(event))
            if event.remaining is not None:
                lines.append(f"Remaining {format_lots(event.remaining)}")
        if event.sl is not None or event.tp is not None:
            lines.append(f"SL {format_price(symbol, event.sl)} · TP {format_price(symbol, event.tp)}")
        if event.message:
            lines.append(event.message)
    lines.append(f"Order {display_id(event.id)}"
                 + (f" · position {display_id(event.position_id)}" if event.position_id else ""))
    if event.placed_by:
        lines.append(f"Placed by {event.placed_by}")
    return title, tuple(lines)


def _close_lines(event: FillEvent) -> list[str]:
    symbol = event.symbol or "?"
    lines: list[str] = []
    if event.close_price is not None:
        opened = format_price(symbol, event.open_price) if event.open_price is not None else "?"
        lines.append(f"{opened} → {format_price(symbol, event.close_price)}")
    pips = close_pips(event)
    if pips is not None:
        lines.append(format_signed_pips(pips))
    if event.profit is not None:
        net = event.profit + (event.commission or 0.0) + (event.swap or 0.0)
        detail = ""
        if event.commission or event.swap:
            detail = (f" (profit {format_signed_money(event.profit, None)}, commission "
                      f"{format_signed_money(event.commission or 0.0, None)}, swap "
                      f"{format_signed_money(event.swap or 0.0, None)})")
        lines.append(f"Net P&L {format_signed_money(net, event.currency)}{detail}")
    if event.opened_at is not None and event.closed_at is not None:
        lines.append(f"Held {format_duration(event.closed_at - event.opened_at)}")
    return lines


def close_pips(event: FillEvent) -> float | None:
    """Pips gained (+) or lost (-) from open to close for the position's direction."""
    if event.open_price is None or event.close_price is None or not event.symbol:
        return None
    spec = instrument(event.symbol)
    pip = spec.pip_size if spec is not None else 0.0001
    direction = -1.0 if (event.type or "").upper().startswith("SELL") else 1.0
    return round((event.close_price - event.open_price) * direction / pip, 1)

