"""Contract tests of GET /v1/quotes/{symbol} and GET /v1/candles/{symbol} against the simulator (raw JSON)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import httpx
import pytest

from fxbot.simulator.runner import RunningSimulator
from tests.integration.sim_contract import (
    CANDLE_FIELDS,
    QUOTE_FIELDS,
    assert_error,
    assert_fields,
    assert_numbers,
    is_time,
    sim_http,
)


@pytest.fixture
async def http(sim_paused: RunningSimulator) -> AsyncIterator[httpx.AsyncClient]:
    async with sim_http(sim_paused, "read-only") as client:
        yield client


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def test_quote_fields_and_spread_in_pips(http: httpx.AsyncClient) -> None:
    assert (await http.post("/_sim/quotes/EURUSD", json={"bid": 1.08340, "ask": 1.08342})).status_code == 200
    response = await http.get("/v1/quotes/EURUSD")
    assert response.status_code == 200
    body = response.json()
    assert_fields(body, QUOTE_FIELDS)
    assert body == {**body, "symbol": "EURUSD", "bid": 1.0834, "ask": 1.08342, "spread": 0.2}
    assert is_time(body["time"])
    lower = (await http.get("/v1/quotes/xauusd")).json()
    assert lower["symbol"] == "XAUUSD" and lower["ask"] > lower["bid"]
    assert_numbers(lower, "bid", "ask", "spread")


async def test_unknown_symbol_quote_is_404(http: httpx.AsyncClient) -> None:
    assert_error(await http.get("/v1/quotes/FOOBAR"), 404, "not_found")


async def test_candles_default_timeframe_and_fields(http: httpx.AsyncClient) -> None:
    response = await http.get("/v1/candles/EURUSD")
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"symbol", "timeframe", "candles"}
    assert body["symbol"] == "EURUSD" and body["timeframe"] == "H1"
    candles = body["candles"]
    assert len(candles) == 100  # default limit
    times = [_parse(c["time"]) for c in candles]
    assert times == sorted(times) and len(set(times)) == len(times)
    for candle in candles:
        assert_fields(candle, CANDLE_FIELDS)
        assert is_time(candle["time"])
        assert_numbers(candle, "open", "high", "low", "close", "volume")
        assert (
            candle["low"]
            <= min(candle["open"], candle["close"])
            <= max(candle["open"], candle["close"])
            <= candle["high"]
        )
    assert all(t.minute == 0 and t.second == 0 for t in times)


@pytest.mark.parametrize("timeframe", ["M1", "M5", "M15", "M30", "H1", "H4", "D1", "W1", "MN"])
async def test_every_timeframe(http: httpx.AsyncClient, timeframe: str) -> None:
    body = (await http.get("/v1/candles/GBPUSD", params={"timeframe": timeframe, "limit": 3})).json()
    assert body["timeframe"] == timeframe and 1 <= len(body["candles"]) <= 3


async def test_candles_limit_and_range(http: httpx.AsyncClient) -> None:
    recent = (await http.get("/v1/candles/EURUSD", params={"timeframe": "M5", "limit": 10})).json()["candles"]
    assert len(recent) == 10
    big = (await http.get("/v1/candles/EURUSD", params={"timeframe": "M1", "limit": 5000})).json()["candles"]
    assert len(big) == 5000
    start = _parse(recent[2]["time"])
    end = _parse(recent[6]["time"])
    ranged = (
        await http.get(
            "/v1/candles/EURUSD",
            params={"timeframe": "M5", "from": recent[2]["time"], "to": recent[6]["time"]},
        )
    ).json()["candles"]
    assert [c["time"] for c in ranged] == [c["time"] for c in recent[2:7]]
    most_recent_two = (
        await http.get(
            "/v1/candles/EURUSD",
            params={"timeframe": "M5", "from": recent[2]["time"], "to": recent[6]["time"], "limit": 2},
        )
    ).json()["candles"]
    assert [c["time"] for c in most_recent_two] == [c["time"] for c in recent[5:7]]
    no_z = (start - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S")
    ranged_naive = (
        await http.get("/v1/candles/EURUSD", params={"timeframe": "M5", "from": no_z, "to": end.isoformat()})
    ).json()["candles"]
    assert [c["time"] for c in ranged_naive] == [c["time"] for c in recent[2:7]]


@pytest.mark.parametrize(
    ("params", "code", "names"),
    [
        ({"timeframe": "M2"}, "invalid_timeframe", ()),
        ({"limit": "0"}, "bad_request", ("limit",)),
        ({"limit": "5001"}, "bad_request", ("limit",)),
        ({"from": "not-a-date"}, "bad_request", ("from",)),
        ({"to": "2026-04-02T25:00:00Z"}, "bad_request", ("to",)),
        ({"from": "2026-04-03T00:00:00Z", "to": "2026-04-02T00:00:00Z"}, "bad_request", ("from",)),
    ],
)
async def test_candles_bad_query(
    http: httpx.AsyncClient, params: dict[str, str], code: str, names: tuple[str, ...]
) -> None:
    body = assert_error(await http.get("/v1/candles/EURUSD", params=params), 400, code)
    assert all(name in body["message"] for name in names)


async def test_candles_unknown_symbol_is_404(http: httpx.AsyncClient) -> None:
    assert_error(await http.get("/v1/candles/FOOBAR"), 404, "not_found")
