"""A stop-out, in full or in part, is rendered and prioritised like a margin or drawdown alert, not a routine fill."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import pytest

from fxbot.alerts.fills import FillEvent, fill_notification, fill_notifications
from fxbot.chat.types import ReplyKind
from fxbot.notify.composer import compose
from fxbot.notify.notification import Notification, Severity

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def _close(**extra: object) -> FillEvent:
    data: dict[str, object] = {
        "id": "ord_1", "position_id": "pos_1", "symbol": "EURUSD", "type": "BUY", "volume": 2.0,
        "open_price": 1.08500, "close_price": 1.05500, "profit": -6000.0, "reason": "stop_out",
    }
    data.update(extra)
    return FillEvent.from_mapping("order_closed", "acc_1", data)


def _margin_alert() -> Notification:
    return Notification("telegram:1", Severity.CRITICAL, "Margin level 48.0% (below 50%)", ("Alert #3",),
                        "alert:3:0", "margin_alert", created_at=NOW)


def _made(event: FillEvent, mode: str = "on") -> Notification:
    made = fill_notification(event, "telegram:1", mode=mode, now=NOW)
    assert made is not None
    return made


def test_a_lone_stop_out_is_marked_like_a_lone_margin_alert() -> None:
    stop_out = compose([(1, _made(_close()))], message_limit=4096)[0]
    margin = compose([(2, _margin_alert())], message_limit=4096)[0]
    assert stop_out.critical and margin.critical
    assert stop_out.reply.kind is margin.reply.kind is ReplyKind.ERROR
    assert (stop_out.reply.title or "").startswith("🚨 ") and (margin.reply.title or "").startswith("🚨 ")
    assert "closed by stop-out" in (stop_out.reply.title or "")
    routine = compose([(3, _made(_close(reason="manual")))], message_limit=4096)[0]
    assert not (routine.reply.title or "").startswith("🚨") and not routine.critical


def test_a_partial_stop_out_is_critical_too() -> None:
    made = _made(_close(status="partially_closed", remaining=0.5))
    assert made.severity is Severity.CRITICAL
    assert made.title.startswith("Position partially closed by stop-out: EURUSD BUY")
    routine = _made(_close(reason="manual", status="partially_closed", remaining=0.5))
    assert routine.severity is Severity.INFO and routine.title.startswith("Position partially closed:")


@pytest.mark.parametrize("reason", ["stop_out", "STOP_OUT", "stop-out", "StopOut", "so"])
def test_every_spelling_of_the_reason_is_a_stop_out(reason: str) -> None:
    assert _made(_close(reason=reason)).severity is Severity.CRITICAL


async def test_the_stop_out_setting_governs_partial_stop_outs() -> None:
    async def prefs(modes: Mapping[str, str]) -> Mapping[str, str]:
        return modes

    partial = _close(status="partially_closed", remaining=0.5)
    off_partials = await fill_notifications(partial, ["telegram:1"], lambda _: prefs({"partial_close": "off"}),
                                            now=NOW)
    assert [n.severity for n in off_partials] == [Severity.CRITICAL]  # not silenced with routine partial closes
    off_stop_outs = await fill_notifications(partial, ["telegram:1"], lambda _: prefs({"stop_out": "off"}), now=NOW)
    assert off_stop_outs == []


def test_in_a_combined_message_a_stop_out_comes_first_and_marked() -> None:
    entries = [(1, _made(_close(reason="manual", id="ord_2", position_id="pos_2"))), (2, _made(_close()))]
    part = compose(entries, message_limit=4096)[0]
    assert part.critical and part.reply.kind is ReplyKind.ERROR
    assert part.reply.text[0].startswith("🚨 EURUSD BUY 2.00 lots closed by stop-out")
    assert part.reply.title == "2 fills (1 critical)"
