"""A price alert's compact outbox form renders the message the eager build writes; one that cannot be read is sent
anyway, saying so; a row of any other kind reads back as written."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import pytest

from fxbot.alerts.firing import price_firing
from fxbot.alerts.price_alert_payload import price_alert_payload, render_price_alert
from fxbot.chat.types import ChatKind
from fxbot.notify.notification import Notification, Severity
from fxbot.notify.outbox_rows import INSERT_COLUMNS, item_from_row, notification_row, price_alert_row
from fxbot.storage.timestamps import to_db
from tests.unit.alerts.test_firing_text import _random_rule

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
CHAT = "telegram:-1001"


@pytest.mark.parametrize("seed", range(3))
def test_the_compact_form_renders_what_the_eager_build_writes(seed: int) -> None:
    rng = random.Random(seed)
    for rule_id in range(1, 300):
        rule = _random_rule(rng, rule_id)
        price = rule.level_points + rng.choice((0, 1, -1, rng.randint(-50, 50)))
        gap = rng.random() < 0.3
        prev = rng.choice((None, rule.level_points - 7)) if gap else None
        rearm = tuple(rng.sample(range(rule.level_points - 30, rule.level_points + 30), rng.randint(0, 2)))
        eager = price_firing(rule, price_points=price, prev_points=prev, fire_seq_before=0, at=T0, after_gap=gap,
                             rearm_points=rearm).to_notification()
        payload = price_alert_payload(rule.id, rule.symbol, rule.digits, rule.side.value, rule.condition.value,
                                      rule.level_points, rule.mode.value, rule.repeat_minutes, rule.note, price, prev,
                                      gap, rearm)
        assert render_price_alert(payload, CHAT, T0) == (eager.title, eager.lines, eager.actions)


def _read(row: tuple[object, ...]) -> Notification:
    columns = [c.strip() for c in INSERT_COLUMNS.split(",")]
    stored: dict[str, Any] = dict(zip(columns, (*row, to_db(T0)), strict=True))
    return item_from_row({**stored, "id": 1, "attempts": 0}).notification


def test_a_compact_row_reads_back_rendered() -> None:
    payload = price_alert_payload(7, "EURUSD", 5, "ask", "below", 108_000, "repeat", 5, None, 107_990, None, False, ())
    notification = _read(price_alert_row("alert:7:3", CHAT, "telegram", "topic-1", "group", to_db(T0), payload))
    assert (notification.title, notification.lines) == (
        "EURUSD is below 1.08000", ("Ask 1.07990 (alert #7: EURUSD ask below 1.08000)",
                                    "Repeats every 5 min while this holds."))
    assert (notification.dedupe_key, notification.thread_id, notification.kind) == ("alert:7:3", "topic-1",
                                                                                     "price_alert")
    assert [a.command for a in notification.actions][:2] == ["/alert snooze 7 1h", "/alert del 7"]


@pytest.mark.parametrize("payload", ["not json", "[2, 7]", "[1, 7, \"EURUSD\"]", "{}",
                                     '[1,7,"EURUSD",5,"sideways","below",108000,"once",null,null,1,null,false,[]]'])
def test_an_unreadable_compact_row_is_still_sent(payload: str, caplog: pytest.LogCaptureFixture) -> None:
    notification = _read(price_alert_row("alert:7:3", CHAT, "telegram", None, "group", to_db(T0), payload))
    assert notification.title == "Price alert" and notification.dedupe_key == "alert:7:3"
    assert "could not be read" in caplog.text


def test_a_row_of_another_kind_reads_back_as_written() -> None:
    written = Notification(chat_id=CHAT, severity=Severity.CRITICAL, title="Margin level 90%", lines=("a", "b"),
                           dedupe_key="alert:9:0", kind="margin_alert", created_at=T0)
    assert _read(notification_row(written, ChatKind.GROUP)) == written
