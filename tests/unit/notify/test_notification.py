"""Notification values: validation of the pinned contract."""

from __future__ import annotations

from datetime import datetime

import pytest

from fxbot.notify.errors import DeliveryRetryAfter
from fxbot.notify.notification import Notification, Severity
from tests.unit.notify.factories import T0, note


def test_fields_and_derived_values() -> None:
    n = note("telegram:-100123", "alert:7:0", severity=Severity.CRITICAL, thread_id="42")
    assert n.platform == "telegram"
    assert n.is_critical
    assert n.thread_id == "42"
    assert not n.silent


def test_severity_order_and_int_coercion() -> None:
    assert Severity.INFO < Severity.WARNING < Severity.CRITICAL
    n = Notification("console:local", 2, "t", (), "k", "fill", created_at=T0)  # type: ignore[arg-type]
    assert n.severity is Severity.CRITICAL


def test_lines_list_becomes_tuple() -> None:
    n = Notification("console:local", Severity.INFO, "t", ["a", "b"], "k", "fill", created_at=T0)  # type: ignore[arg-type]
    assert n.lines == ("a", "b")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"chat_id": "123"}, "platform-qualified"),
        ({"chat_id": ":1"}, "platform-qualified"),
        ({"title": " "}, "title"),
        ({"dedupe_key": ""}, "dedupe_key"),
        ({"dedupe_key": "x" * 201}, "dedupe_key"),
        ({"kind": ""}, "kind"),
        ({"lines": "one line"}, "tuple of strings"),
        ({"created_at": datetime(2026, 1, 1)}, "timezone-aware"),
        ({"severity": 7}, "severity"),
        ({"thread_id": ""}, "thread_id"),
    ],
)
def test_bad_values_are_rejected(changes: dict[str, object], message: str) -> None:
    values: dict[str, object] = {
        "chat_id": "telegram:1", "severity": Severity.INFO, "title": "t", "lines": ("a",),
        "dedupe_key": "k", "kind": "fill", "created_at": T0,
    }
    values.update(changes)
    with pytest.raises(ValueError, match=message):
        Notification(**values)  # type: ignore[arg-type]


def test_retry_after_validation_and_scope() -> None:
    assert DeliveryRetryAfter(3).chat_wide and not DeliveryRetryAfter(3).is_global
    assert DeliveryRetryAfter(2.5, chat_wide=False).is_global
    with pytest.raises(ValueError):
        DeliveryRetryAfter(-1)
    with pytest.raises(ValueError):
        DeliveryRetryAfter(float("nan"))
