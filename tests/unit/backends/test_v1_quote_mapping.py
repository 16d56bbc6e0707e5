"""The /v1 backend copies each stream quote (validated once, as the wire Quote) to the port's Quote: the result must
be the one the port's own validation gives, for quotes decoded by the stream's fast path and by the wire model."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from fxbot.backends import v1_mapping as mapping
from fxbot.domain.broker.events import QuoteEvent
from fxbot.domain.broker.models import Quote
from fxbot.fxsocket import models as wire
from fxbot.fxsocket.events import QuoteEvent as WireQuoteEvent
from fxbot.fxsocket.frames import decode_frame
from tests.unit.backends.copied_values import assert_copied_equals_validated, moments, numbers, times


def validated(w: wire.Quote) -> Quote:
    """The old path: the port's Quote validated from the wire Quote's values."""
    return Quote(symbol=w.symbol, bid=w.bid, ask=w.ask, spread=w.spread, time=w.time)


def assert_same_quote(fast: Quote, slow: Quote) -> None:
    assert_copied_equals_validated(fast, slow)
    assert fast.account_id is None and fast.time.tzinfo is UTC


@st.composite
def wire_quotes(draw: st.DrawFn) -> dict[str, Any]:
    quote: dict[str, Any] = {"symbol": draw(st.text(max_size=10)), "bid": draw(numbers), "ask": draw(numbers),
                             "time": draw(times)}
    if draw(st.booleans()):
        quote["spread"] = draw(st.one_of(st.none(), numbers))
    if draw(st.booleans()):
        quote["unknown_field"] = draw(st.text(max_size=5))  # the wire model ignores what it does not know
    return quote


@settings(max_examples=400, deadline=None)
@given(wire_quotes())
def test_a_quote_copied_once_equals_the_validated_one(raw: dict[str, Any]) -> None:
    try:
        w = wire.Quote.model_validate(raw)
    except ValidationError:
        return  # refused by the wire model: never reaches the mapping
    assert_same_quote(mapping.quote(w), validated(w))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=8), st.floats(min_value=1e-6, max_value=1e6), st.floats(min_value=1e-6, max_value=1e6),
       st.one_of(st.none(), st.floats(min_value=0, max_value=1e3), st.integers(0, 1000)), moments)
def test_a_stream_frame_decoded_on_the_fast_path_maps_to_the_validated_quote(
        symbol: str, bid: float, ask: float, spread: float | int | None, moment: datetime) -> None:
    data: dict[str, Any] = {"symbol": symbol, "bid": bid, "ask": ask, "time": moment.isoformat()}
    if spread is not None:
        data["spread"] = spread
    event = decode_frame(json.dumps({"type": "quote", "data": data}))
    assert isinstance(event, WireQuoteEvent)
    mapped = mapping.event(event)
    assert isinstance(mapped, QuoteEvent) and mapped.account_id is None
    assert_same_quote(mapped.quote, validated(event.quote))


def test_a_copied_quote_is_frozen_and_keeps_its_own_values() -> None:
    w = wire.Quote.model_validate({"symbol": "EURUSD", "bid": 1, "ask": "1.0002", "time": "2026-01-02T03:04:05+02:00"})
    fast = mapping.quote(w)
    with pytest.raises(ValidationError):
        fast.bid = 2.0  # type: ignore[misc]
    w.bid = 5.0  # the wire model is not frozen: the port's quote must not follow it
    assert fast.bid == 1.0 and type(fast.bid) is float and fast.ask == 1.0002 and fast.spread is None
    assert fast.time == datetime(2026, 1, 2, 1, 4, 5, tzinfo=UTC)
    assert fast.model_copy(update={"bid": 2.0}).bid == 2.0 and fast.bid == 1.0


def test_the_wire_quote_has_the_port_quote_fields_but_the_account() -> None:
    """The copy takes the wire Quote's fields as they are: a new field on either side must be mapped by hand."""
    assert set(wire.Quote.model_fields) == set(Quote.model_fields) - {"account_id"}
