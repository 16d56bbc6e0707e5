"""MetaTrader tickets as ids: written as decimal strings, read from what a person types, shown with `#`."""

from __future__ import annotations

import pytest

from fxbot.domain.broker.tickets import MAX_TICKET, display_id, parse_ref, ticket_id, ticket_of


def test_ticket_id_is_the_decimal_string() -> None:
    assert ticket_id(12345678) == "12345678"
    assert ticket_of(ticket_id(MAX_TICKET)) == MAX_TICKET


@pytest.mark.parametrize("bad", [0, -5, MAX_TICKET + 1, True])
def test_ticket_id_refuses_what_is_no_ticket(bad: int) -> None:
    with pytest.raises(ValueError, match="positive integer"):
        ticket_id(bad)


@pytest.mark.parametrize(("id_", "ticket"), [
    ("12345678", 12345678), ("1", 1), ("pos_8Kq", None), ("ord_123", None), ("", None), ("0", None),
    ("0123", None), ("-5", None), ("12 34", None), ("١٢٣", None), (str(MAX_TICKET + 1), None),
])
def test_ticket_of(id_: str, ticket: int | None) -> None:
    assert ticket_of(id_) == ticket


def test_display_id() -> None:
    assert display_id("12345678") == "#12345678"
    assert display_id("pos_8Kq") == "pos_8Kq"


@pytest.mark.parametrize(("typed", "ref"), [
    ("12345678", "12345678"), ("#12345678", "12345678"), ("  #42 ", "42"), ("pos_8Kq", "pos_8Kq"),
    ("#pos_8Kq", "#pos_8Kq"), ("#", "#"),
])
def test_parse_ref(typed: str, ref: str) -> None:
    assert parse_ref(typed) == ref
