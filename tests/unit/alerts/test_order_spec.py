"""Reading `/alert … then ORDER [| … then ORDER]`: legs, the symbol filled in, and refusals with the reason."""

from __future__ import annotations

import pytest

from fxbot.alerts.order_spec import OrderLeg, OrderSpecError, has_order, parse_order_legs


def legs(text: str) -> list[OrderLeg]:
    """The legs of /alert's words as typed."""
    return parse_order_legs(text.split(" "))


def test_one_leg_keeps_its_options_and_gets_the_symbol() -> None:
    (leg,) = legs("EURUSD above 1.0900 then buy 0.1 sl=20p tp=40p")
    assert leg.alert_words == ("EURUSD", "above", "1.0900")
    assert leg.command == "/buy EURUSD 0.1 sl=20p tp=40p"


def test_an_oco_pair_shares_the_symbol() -> None:
    first, second = legs("EURUSD above 1.0950 then buy 0.1 | below 1.0850 then sell EURUSD 0.1")
    assert first.command == "/buy EURUSD 0.1"
    assert second.alert_words == ("EURUSD", "below", "1.0850") and second.command == "/sell EURUSD 0.1"


def test_close_needs_no_volume() -> None:
    (leg,) = legs("XAUUSD below 2300 then close")
    assert leg.command == "/close XAUUSD"


@pytest.mark.parametrize(("text", "reason"), [
    ("EURUSD above 1.09 then", "which order"),
    ("then buy 0.1", "say when"),
    ("EURUSD above 1.09 then fly 0.1", "not an order"),
    ("EURUSD above 1.09 then buy 0.1 then sell 0.1", "one 'then'"),
    ("EURUSD above 1.1 then buy 0.1 | below 1 then sell 0.1 | below 0.9 then sell 0.1", "at most 2"),
])
def test_refusals_say_why(text: str, reason: str) -> None:
    with pytest.raises(OrderSpecError, match=reason):
        legs(text)


def test_has_order() -> None:
    assert has_order(["EURUSD", "above", "1", "THEN", "buy"]) and not has_order(["EURUSD", "above", "1"])
