"""The notifications of managed stops: a stop moved, a stop the broker refused, a rule suspended."""

from __future__ import annotations

from datetime import datetime

from fxbot.domain.formatting import format_price
from fxbot.domain.instruments import InstrumentSpec
from fxbot.management.rules import ManagedRule, RuleKind
from fxbot.notify.notification import Notification, Severity

NOTIFY_TYPE = "trail"
"""The notification type chats switch with `/notify trail on|silent|off`."""


def headline(rule: ManagedRule) -> str:
    """ "EURUSD BUY 0.30" """
    return f"{rule.symbol} {rule.side.value} {rule.volume:.2f}"


def locked_pips(rule: ManagedRule, spec: InstrumentSpec, stop_points: int) -> float:
    """Pips between the entry and the stop in the position's favour (negative: still a loss at the stop)."""
    return spec.pips(rule.direction * (stop_points - rule.entry_points) * spec.point) + 0.0


def describe_lock(rule: ManagedRule, spec: InstrumentSpec, stop_points: int) -> str:
    pips = locked_pips(rule, spec, stop_points)
    return f"+{pips:g} pips locked" if pips >= 0 else f"{pips:g} pips at risk"


def stop_moved(rule: ManagedRule, spec: InstrumentSpec, stop_points: int, *, now: datetime) -> Notification:
    what = "breakeven" if rule.kind is RuleKind.BREAKEVEN else "trailing stop"
    price = format_price(rule.symbol, spec.from_points(stop_points))
    return Notification(
        chat_id=rule.chat_id, severity=Severity.INFO, title=f"Stop moved ({what})",
        lines=(f"{headline(rule)}: stop → {price} ({describe_lock(rule, spec, stop_points)})",),
        dedupe_key=f"stop:{rule.account_id}:{rule.position_id}:{stop_points}"[:200], kind="stop_moved", created_at=now)


def stop_refused(rule: ManagedRule, spec: InstrumentSpec, stop_points: int, reason: str, *,
                 now: datetime) -> Notification:
    price = format_price(rule.symbol, spec.from_points(stop_points))
    return Notification(
        chat_id=rule.chat_id, severity=Severity.WARNING, title="Stop not moved",
        lines=(f"{headline(rule)}: the broker refused the stop {price} ({reason[:160]})",
               "it is tried again when the price improves further; this is said once"),
        dedupe_key=f"stop-refused:{rule.id}:{stop_points}"[:200], kind="stop_refused", created_at=now)


def rule_suspended(rule: ManagedRule, reason: str, *, now: datetime) -> Notification:
    what = "breakeven" if rule.kind is RuleKind.BREAKEVEN else "trailing stop"
    return Notification(
        chat_id=rule.chat_id, severity=Severity.WARNING, title="Managed stop suspended",
        lines=(f"{headline(rule)}: the {what} rule #{rule.id} is suspended: {reason}",
               f"set it again with /{'be' if rule.kind is RuleKind.BREAKEVEN else 'trail'} once that is fixed"),
        dedupe_key=f"stop-suspended:{rule.id}:{rule.created_at.isoformat()}"[:200], kind="stop_suspended",
        created_at=now)
