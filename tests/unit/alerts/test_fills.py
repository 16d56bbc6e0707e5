"""Fill notifications: event types, close messages with net P&L, dedupe keys and preferences."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from fxbot.alerts.fills import FillEvent, dedupe_key, event_type_of, fill_notification, fill_notifications
from fxbot.notify.notification import Severity

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def _sl_close(**extra: object) -> FillEvent:
    data: dict[str, object] = {
        "id": "ord_1", "position_id": "pos_1", "symbol": "EURUSD", "type": "BUY", "volume": 0.5,
        "close_price": 1.08300, "profit": -100.0, "reason": "sl", "open_price": 1.08500, "commission": -3.5,
        "swap": -1.25, "opened_at": NOW - timedelta(hours=2, minutes=5), "closed_at": NOW,
    }
    data.update(extra)
    return FillEvent.from_mapping("order_closed", "acc_1", data)


def test_sl_hit_says_closed_by_stop_loss_with_net_pnl_pips_and_duration() -> None:
    n = fill_notification(_sl_close(), "telegram:1", now=NOW)
    assert n is not None
    assert n.title == "EURUSD BUY 0.50 lot closed by stop loss"
    text = "\n".join(n.lines)
    assert "1.08500 → 1.08300" in text
    assert "-20.0 pips" in text
    assert "Net P&L -104.75" in text  # -100 - 3.5 - 1.25
    assert "Held 2h 5m" in text
    assert n.dedupe_key == "fill:acc_1:pos_1:sl_hit|telegram:1"  # per chat: chats may share an account
    other = fill_notification(_sl_close(), "discord:7", now=NOW)
    assert other is not None and other.dedupe_key == "fill:acc_1:pos_1:sl_hit|discord:7"
    assert n.kind == "fill" and n.severity is Severity.WARNING


def test_close_reasons_and_other_types() -> None:
    assert event_type_of(_sl_close(reason="tp")) == "tp_hit"
    assert event_type_of(_sl_close(reason="stop_out")) == "stop_out"
    assert event_type_of(_sl_close(reason="manual")) == "closed_manual"
    assert event_type_of(_sl_close(status="partially_closed", remaining=0.2)) == "partial_close"
    stop_out = fill_notification(_sl_close(reason="stop_out"), "telegram:1", now=NOW)
    assert stop_out is not None and stop_out.severity is Severity.CRITICAL and "stop-out" in stop_out.title
    manual = fill_notification(_sl_close(reason="manual", type="SELL"), "telegram:1", now=NOW)
    assert manual is not None and "closed manually" in manual.title and "+20.0 pips" in "\n".join(manual.lines)
    assert event_type_of(FillEvent("order_opened", "a", "ord_2", status="pending")) == "order_placed"
    assert event_type_of(FillEvent("order_opened", "a", "ord_2", status="filled")) == "position_opened"
    assert event_type_of(FillEvent("order_filled", "a", "ord_2")) == "pending_triggered"
    assert event_type_of(FillEvent("order_modified", "a", "ord_2")) == "modified"
    assert event_type_of(FillEvent("order_cancelled", "a", "ord_2")) == "cancelled"
    assert event_type_of(FillEvent("order_rejected", "a", "ord_2")) == "rejected"
    assert event_type_of(FillEvent("subscribed", "a", "x")) is None


def test_dedupe_keys_are_stable_per_event_and_distinguish_modifications() -> None:
    opened = FillEvent("order_opened", "acc_1", "ord_9", symbol="EURUSD", type="BUY", volume=1.0, status="filled")
    assert dedupe_key(opened, "position_opened") == "fill:acc_1:ord_9:position_opened"
    first = FillEvent("order_modified", "acc_1", "ord_9", sl=1.08)
    second = FillEvent("order_modified", "acc_1", "ord_9", sl=1.07)
    assert dedupe_key(first, "modified") != dedupe_key(second, "modified")
    assert dedupe_key(first, "modified") == dedupe_key(FillEvent("order_modified", "acc_1", "ord_9", sl=1.08),
                                                       "modified")


async def test_placed_by_is_named_and_preferences_are_honoured() -> None:
    event = FillEvent.from_mapping("order_opened", "acc_1", {"id": "ord_3", "symbol": "XAUUSD", "type": "SELL",
                                                             "volume": 2.0, "price": 2315.4, "status": "filled",
                                                             "placed_by": "Alice", "unknown": 1})
    n = fill_notification(event, "discord:1", now=NOW)
    assert n is not None and "Placed by Alice" in n.lines and "Price 2315.40" in n.lines

    async def prefs(chat_id: str) -> Mapping[str, str]:
        return {"position_opened": {"telegram:a": "off", "telegram:b": "silent"}.get(chat_id, "on")}

    out = await fill_notifications(event, ["telegram:a", "telegram:b", "telegram:c"], prefs, now=NOW)
    assert [(x.chat_id, x.silent) for x in out] == [("telegram:b", True), ("telegram:c", False)]


def test_metatrader_tickets_are_shown_as_the_terminal_shows_them() -> None:
    ticket = fill_notification(_sl_close(id="50000001", position_id="50000001"), "console:1", now=NOW)
    v1 = fill_notification(_sl_close(), "console:1", now=NOW)
    assert ticket is not None and "Order #50000001 · position #50000001" in ticket.lines
    assert v1 is not None and "Order ord_1 · position pos_1" in v1.lines
