"""REST `get_quote` (orjson, then the quote fast path) answers exactly what the pydantic models answer for the
same body, or refuses it the same way; bodies orjson refuses (NaN) are still read by the standard parser."""

from __future__ import annotations

import asyncio
import json
import math
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fxbot.fxsocket.client import FxSocketClient
from fxbot.fxsocket.errors import UnexpectedResponseError
from fxbot.fxsocket.models import Quote
from fxbot.fxsocket.pacing import RequestPacer
from tests.unit.fxsocket.test_quote_fast_path import build, numbers, slow, times


def _get_quote(body: str) -> Quote:
    async def run() -> Quote:
        transport = httpx.MockTransport(lambda _: httpx.Response(200, content=body.encode(),
                                                                 headers={"content-type": "application/json"}))
        async with httpx.AsyncClient(transport=transport) as http:
            client = FxSocketClient(http, api_key="sk_test_restquote", base_url="http://mock",
                                    pacer=RequestPacer(10**9))
            return await client.get_quote("EURUSD")

    return asyncio.run(run())


@settings(max_examples=150, deadline=None)
@given(symbol=st.sampled_from(["EURUSD", "EURUSD", 5, None]), bid=numbers, ask=numbers,
       spread=st.one_of(numbers), time=times, extra=st.booleans())
def test_rest_quote_is_the_models_answer(symbol: object, bid: object, ask: object, spread: object, time: object,
                                         extra: bool) -> None:
    data: dict[str, Any] = build(symbol, bid, ask, spread, time, extra)
    expected = slow(data)
    if expected is None:
        with pytest.raises(UnexpectedResponseError):
            _get_quote(json.dumps(data))
        return
    got = _get_quote(json.dumps(data))
    assert got == expected and got.model_fields_set == expected.model_fields_set
    assert got.time.utcoffset() == expected.time.utcoffset()


def test_a_body_orjson_refuses_is_still_read() -> None:
    quote = _get_quote('{"symbol": "EURUSD", "bid": NaN, "ask": 1.1, "time": "2026-04-02T14:30:00Z"}')
    assert math.isnan(quote.bid) and quote.ask == 1.1
