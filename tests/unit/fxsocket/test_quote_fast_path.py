"""The quote fast path (orjson and direct field reads) decodes exactly what the pydantic models decode."""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from fxbot.fxsocket.events import OrderEvent, QuoteEvent
from fxbot.fxsocket.frames import decode_frame, fast_quote
from fxbot.fxsocket.models import Quote

MISSING = object()

iso = st.builds(lambda d, frac, zone: f"2026-04-{d:02d}T14:30:00{frac}{zone}", st.integers(1, 30),
                st.sampled_from(["", ".1", ".123", ".123456", ".1234567", ".123456789"]),
                st.sampled_from(["", "Z", "+00:00", "+02:00", "-05:30", "z", "+0200"]))
odd_times = st.one_of(
    st.sampled_from(["2026-04-02", "2026-04-02 14:30:00Z", "2026-04-02T25:00:00Z", "yesterday", "",
                     "2026-13-02T00:00:00Z", "2026-04-02T14:30:00.123Z trailing"]),
    st.integers(0, 2_000_000_000), st.none(), st.just(MISSING),
)
times = st.one_of(iso, iso, iso, odd_times)
plain = st.one_of(st.floats(0.0001, 1e6), st.integers(0, 10**6))
numbers = st.one_of(plain, plain, plain, st.sampled_from(["1.0834", "x", True, None, MISSING]))


def build(symbol: object, bid: object, ask: object, spread: object, time: object, extra: bool) -> dict[str, Any]:
    data = {"symbol": symbol, "bid": bid, "ask": ask, "spread": spread, "time": time}
    data = {k: v for k, v in data.items() if v is not MISSING}
    if extra:
        data["account_id"] = "acc_1"
    return data


def slow(data: dict[str, Any]) -> Quote | None:
    try:
        return Quote.model_validate(data)
    except ValidationError:
        return None


@settings(max_examples=400, deadline=None)
@given(symbol=st.sampled_from(["EURUSD", "EURUSD", "EURUSD", 5, None, MISSING]), bid=numbers, ask=numbers,
       spread=st.one_of(numbers, st.just(MISSING)), time=times, extra=st.booleans())
def test_fast_path_gives_the_models_answer_or_steps_aside(symbol: object, bid: object, ask: object, spread: object,
                                                          time: object, extra: bool) -> None:
    data = build(symbol, bid, ask, spread, time, extra)
    fast = fast_quote(data)
    expected = slow(data)
    if fast is not None:
        assert expected is not None
        assert fast == expected and fast.model_fields_set == expected.model_fields_set
        assert fast.time.tzinfo is expected.time.tzinfo and fast.time.utcoffset() == expected.time.utcoffset()
        assert fast.model_dump() == expected.model_dump()
    event = decode_frame(json.dumps({"type": "quote", "data": data}))
    if expected is None:
        assert event is None
    else:
        assert isinstance(event, QuoteEvent) and event.quote == expected


def test_a_fast_quote_is_a_normal_model() -> None:
    quote = fast_quote({"symbol": "EURUSD", "bid": 1.0834, "ask": 1, "time": "2026-04-02T14:30:00.5+02:00"})
    assert quote is not None and quote.ask == 1.0 and isinstance(quote.ask, float) and quote.time.hour == 12
    quote.spread = 0.2  # assignable like any model (its own set of fields)
    assert quote.model_fields_set == {"symbol", "bid", "ask", "time", "spread"}
    assert quote.model_copy(update={"bid": 1.1}).bid == 1.1


def test_frames_orjson_refuses_are_still_read_as_before() -> None:
    event = decode_frame('{"type": "quote", "data": {"symbol": "EURUSD", "bid": NaN, "ask": 1.1,'
                         ' "time": "2026-04-02T14:30:00Z"}}')
    assert isinstance(event, QuoteEvent) and math.isnan(event.quote.bid)
    lone = json.dumps({"type": "order_opened", "data": {"id": "ord_\ud800"}})
    assert isinstance(decode_frame(lone), OrderEvent)


def test_a_malformed_order_frame_is_still_reported() -> None:
    seen: list[str] = []
    assert decode_frame(json.dumps({"type": "order_filled", "data": {"symbol": "EURUSD"}}), seen.append) is None
    assert seen == ["order_filled"]
