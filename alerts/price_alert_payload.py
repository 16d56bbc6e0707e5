"""A price alert's compact outbox form (written per firing) and its rendering to title, lines and buttons (at send).

A burst of firings stores, per price alert, only what its message is made of: the rule's watched symbol, side,
condition, level, mode, repeat interval and note, the price it fired at, the price before an outage, whether it
fired after one, and the re-arm points. The text is rendered from it when the notifier reads the row, by the same
`price_firing` the eager path uses, so the message is the same byte for byte; the stream's writer does not
format text a pacer will send seconds later. The array's first element is its layout version.
"""

from __future__ import annotations

from datetime import datetime

import orjson

from fxbot.alerts.firing import price_firing
from fxbot.alerts.rules import Mode, PriceCondition, PriceRule, PriceSide
from fxbot.notify.notification import NotificationAction

PAYLOAD_VERSION = 1

RenderedAlert = tuple[str, tuple[str, ...], tuple[NotificationAction, ...]]
"""A notification's title, lines and buttons."""


def price_alert_payload(
    rule_id: int, symbol: str, digits: int, side: str, condition: str, level_points: int, mode: str,
    repeat_minutes: int | None, note: str | None, price_points: int, prev_points: int | None, after_gap: bool,
    rearm_points: tuple[int, ...],
) -> str:
    """The compact form (a JSON array) of a price alert's message; side, condition and mode by their values."""
    return orjson.dumps((PAYLOAD_VERSION, rule_id, symbol, digits, side, condition, level_points, mode,
                         repeat_minutes, note, price_points, prev_points, after_gap, rearm_points)).decode()


def render_price_alert(payload: str, chat_id: str, at: datetime) -> RenderedAlert:
    """The title, lines and buttons of the price alert a compact form describes (as `price_firing` writes them).

    Raises ValueError when the payload is not one this code wrote."""
    try:
        values = orjson.loads(payload)
        (version, rule_id, symbol, digits, side, condition, level_points, mode, repeat_minutes, note, price_points,
         prev_points, after_gap, rearm_points) = values
        if version != PAYLOAD_VERSION:
            raise ValueError(f"unknown price alert layout {version!r}")
        rule = PriceRule(
            id=int(rule_id), chat_id=chat_id, owner_id=chat_id, account_id="-", created_at=at, symbol=str(symbol),
            digits=int(digits), side=PriceSide(side), condition=PriceCondition(condition),
            level_points=int(level_points), mode=Mode(mode),
            repeat_minutes=None if repeat_minutes is None else int(repeat_minutes),
            note=None if note is None else str(note),
        )
        firing = price_firing(
            rule, price_points=int(price_points), prev_points=None if prev_points is None else int(prev_points),
            fire_seq_before=0, at=at, after_gap=bool(after_gap), rearm_points=tuple(int(p) for p in rearm_points))
    except (orjson.JSONDecodeError, TypeError, KeyError) as exc:
        raise ValueError(f"unreadable price alert payload: {exc}") from None
    notification = firing.to_notification()
    return notification.title, notification.lines, notification.actions
