"""Contract tests of POST/PATCH/DELETE /v1/orders and GET /v1/history against the simulator (raw JSON)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from fxbot.simulator.runner import RunningSimulator
from tests.integration.sim_contract import (
    PLACED_FILLED_FIELDS,
    PLACED_PENDING_FIELDS,
    TRADE_FIELDS,
    assert_error,
    assert_fields,
    assert_numbers,
    is_time,
    sim_http,
)


@pytest.fixture
async def http(sim_paused: RunningSimulator) -> AsyncIterator[httpx.AsyncClient]:
    async with sim_http(sim_paused, "trade") as client:
        yield client


async def _quote(http: httpx.AsyncClient, symbol: str = "EURUSD") -> dict[str, Any]:
    response = await http.get(f"/v1/quotes/{symbol}")
    assert response.status_code == 200
    return dict(response.json())


async def _set_price(http: httpx.AsyncClient, bid: float, ask: float, symbol: str = "EURUSD") -> None:
    response = await http.post(f"/_sim/quotes/{symbol}", json={"bid": bid, "ask": ask})
    assert response.status_code == 200, response.text


async def test_market_order_answer_fields(http: httpx.AsyncClient) -> None:
    await _set_price(http, 1.10000, 1.10002)
    response = await http.post(
        "/v1/orders",
        json={"symbol": "EURUSD", "type": "BUY", "volume": 0.1, "sl": 1.09, "tp": 1.11, "comment": "t1"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert_fields(body, PLACED_FILLED_FIELDS)
    assert body["id"].startswith("ord_") and body["position_id"].startswith("pos_")
    assert body["status"] == "filled" and body["price"] == 1.10002
    assert body["symbol"] == "EURUSD" and body["type"] == "BUY" and body["volume"] == 0.1
    assert body["sl"] == 1.09 and body["tp"] == 1.11 and is_time(body["created_at"])


async def test_pending_order_answer_fields(http: httpx.AsyncClient) -> None:
    await _set_price(http, 1.10000, 1.10002)
    response = await http.post(
        "/v1/orders", json={"symbol": "eurusd", "type": "SELL_STOP", "volume": 1, "price": 1.095}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert_fields(body, PLACED_PENDING_FIELDS)
    assert body["status"] == "pending" and body["price"] == 1.095 and body["symbol"] == "EURUSD"
    assert body["sl"] is None and body["tp"] is None


@pytest.mark.parametrize(
    ("order", "status", "code"),
    [
        ({"symbol": "FOOBAR", "type": "BUY", "volume": 0.1}, 400, "invalid_symbol"),
        ({"symbol": "EURUSD", "type": "BUY", "volume": 0.015}, 400, "invalid_volume"),
        ({"symbol": "EURUSD", "type": "BUY", "volume": 0}, 400, "invalid_volume"),
        ({"symbol": "EURUSD", "type": "BUY", "volume": 1000}, 400, "invalid_volume"),
        ({"symbol": "EURUSD", "type": "BUY_LIMIT", "volume": 0.1, "price": 1.2}, 400, "invalid_price"),
        ({"symbol": "EURUSD", "type": "BUY_LIMIT", "volume": 0.1}, 400, "invalid_price"),
        ({"symbol": "EURUSD", "type": "BUY", "volume": 0.1, "sl": 1.2}, 400, "invalid_stops"),
        ({"symbol": "EURUSD", "type": "SELL", "volume": 0.1, "tp": 1.2}, 400, "invalid_stops"),
        ({"symbol": "EURUSD", "type": "BUY", "volume": 100}, 400, "insufficient_margin"),
        ({"symbol": "EURUSD", "type": "HOLD", "volume": 0.1}, 400, "bad_request"),
        ({"symbol": "EURUSD", "type": "BUY"}, 400, "bad_request"),
        ({"symbol": "EURUSD", "type": "BUY", "volume": "0.1"}, 400, "bad_request"),
        ({"symbol": "EURUSD", "type": "BUY", "volume": True}, 400, "bad_request"),
        ({"type": "BUY", "volume": 0.1}, 400, "bad_request"),
        ({"symbol": "EURUSD", "type": "BUY", "volume": 0.1, "stoploss": 1.0}, 400, "bad_request"),
    ],
)
async def test_refused_orders_change_nothing(
    http: httpx.AsyncClient, order: dict[str, Any], status: int, code: str
) -> None:
    await _set_price(http, 1.10000, 1.10002)
    body = assert_error(await http.post("/v1/orders", json=order), status, code)
    assert body["message"]
    assert (await http.get("/v1/positions")).json() == []
    assert (await http.get("/v1/orders")).json() == []


async def test_validation_message_names_the_field(http: httpx.AsyncClient) -> None:
    body = assert_error(
        await http.post("/v1/orders", json={"symbol": "EURUSD", "type": "BUY"}), 400, "bad_request"
    )
    assert "volume" in body["message"]
    body = assert_error(
        await http.post("/v1/orders", json={"symbol": "EURUSD", "type": "BUY", "volume": 0.1, "sl": "x"}),
        400,
        "bad_request",
    )
    assert "sl" in body["message"]


async def test_market_closed_refuses_orders(http: httpx.AsyncClient) -> None:
    assert (await http.post("/_sim/market", json={"closed": True})).json()["closed"] is True
    assert_error(
        await http.post("/v1/orders", json={"symbol": "EURUSD", "type": "BUY", "volume": 0.1}),
        400,
        "market_closed",
    )
    assert (await http.post("/_sim/market", json={"closed": False})).json()["closed"] is False
    assert (
        await http.post("/v1/orders", json={"symbol": "EURUSD", "type": "BUY", "volume": 0.1})
    ).status_code == 201


async def test_patch_absent_keeps_null_clears(http: httpx.AsyncClient) -> None:
    await _set_price(http, 1.10000, 1.10002)
    placed = (
        await http.post(
            "/v1/orders", json={"symbol": "EURUSD", "type": "BUY", "volume": 0.1, "sl": 1.09, "tp": 1.11}
        )
    ).json()
    response = await http.patch(f"/v1/orders/{placed['id']}", json={"tp": 1.12})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"id", "sl", "tp", "updated"}
    assert body["updated"] is True and body["sl"] == 1.09 and body["tp"] == 1.12
    cleared = (await http.patch(f"/v1/orders/{placed['position_id']}", json={"sl": None})).json()
    assert cleared["sl"] is None and cleared["tp"] == 1.12
    position = (await http.get("/v1/positions")).json()[0]
    assert position["sl"] is None and position["tp"] == 1.12


async def test_patch_pending_price_and_refusals(http: httpx.AsyncClient) -> None:
    await _set_price(http, 1.10000, 1.10002)
    placed = (
        await http.post(
            "/v1/orders", json={"symbol": "EURUSD", "type": "BUY_LIMIT", "volume": 0.1, "price": 1.09}
        )
    ).json()
    body = (await http.patch(f"/v1/orders/{placed['id']}", json={"price": 1.08})).json()
    assert set(body) == {"id", "sl", "tp", "updated", "price"} and body["price"] == 1.08
    for field, value in (("symbol", "GBPUSD"), ("type", "SELL_LIMIT"), ("volume", 0.2)):
        message = assert_error(
            await http.patch(f"/v1/orders/{placed['id']}", json={field: value}), 400, "bad_request"
        )["message"]
        assert field in message
    assert_error(await http.patch(f"/v1/orders/{placed['id']}", json={}), 400, "bad_request")
    assert_error(await http.patch(f"/v1/orders/{placed['id']}", json={"price": None}), 400, "bad_request")
    assert_error(await http.patch(f"/v1/orders/{placed['id']}", json={"price": 1.2}), 400, "invalid_price")
    assert_error(await http.patch("/v1/orders/ord_missing", json={"sl": 1.0}), 404, "not_found")
    assert (await http.get("/v1/orders")).json()[0]["price"] == 1.08


async def test_delete_close_cancel_and_partial(http: httpx.AsyncClient) -> None:
    await _set_price(http, 1.10000, 1.10002)
    filled = (await http.post("/v1/orders", json={"symbol": "EURUSD", "type": "BUY", "volume": 0.3})).json()
    pending = (
        await http.post(
            "/v1/orders", json={"symbol": "EURUSD", "type": "SELL_LIMIT", "volume": 0.1, "price": 1.12}
        )
    ).json()
    await _set_price(http, 1.10100, 1.10102)
    partial = await http.delete(f"/v1/orders/{filled['id']}", params={"volume": "0.1"})
    assert partial.status_code == 200, partial.text
    body = partial.json()
    assert body["status"] == "partially_closed" and body["remaining"] == 0.2
    assert_numbers(body, "close_price", "profit", "remaining")
    assert_error(
        await http.delete(f"/v1/orders/{filled['id']}", params={"volume": "abc"}), 400, "bad_request"
    )
    assert_error(
        await http.delete(f"/v1/orders/{filled['id']}", params={"volume": "0"}), 400, "invalid_volume"
    )
    closed = (await http.delete(f"/v1/orders/{filled['position_id']}")).json()
    assert set(closed) >= {"id", "status", "close_price", "profit"} and closed["status"] == "closed"
    assert closed["close_price"] == 1.101 and closed["profit"] > 0
    cancelled = (await http.delete(f"/v1/orders/{pending['id']}")).json()
    assert cancelled == {"id": pending["id"], "status": "cancelled"} or (
        cancelled["id"] == pending["id"] and cancelled["status"] == "cancelled"
    )
    assert (await http.get("/v1/positions")).json() == [] and (await http.get("/v1/orders")).json() == []
    assert_error(await http.delete(f"/v1/orders/{pending['id']}"), 404, "not_found")


async def _trade(http: httpx.AsyncClient, symbol: str, side: str) -> None:
    placed = (await http.post("/v1/orders", json={"symbol": symbol, "type": side, "volume": 0.01})).json()
    assert (await http.delete(f"/v1/orders/{placed['id']}")).status_code == 200


async def test_history_fields_filters_and_pagination(http: httpx.AsyncClient) -> None:
    for symbol, side in [
        ("EURUSD", "BUY"),
        ("EURUSD", "SELL"),
        ("GBPUSD", "BUY"),
        ("EURUSD", "BUY"),
        ("USDJPY", "SELL"),
    ]:
        await _trade(http, symbol, side)
    everything = (await http.get("/v1/history")).json()
    assert set(everything) == {"trades", "total"} and everything["total"] == 5
    trades = everything["trades"]
    assert len(trades) == 5
    for trade in trades:
        assert_fields(trade, TRADE_FIELDS)
        assert trade["id"].startswith("trd_") and trade["reason"] == "manual"
        assert_numbers(trade, "volume", "profit", "commission", "swap", "open_price", "close_price")
        assert is_time(trade["closed_at"]) and is_time(trade["opened_at"])
    closed_times = [trade["closed_at"] for trade in trades]
    assert closed_times == sorted(closed_times, reverse=True)  # newest first
    assert trades[0]["symbol"] == "USDJPY"
    page = (await http.get("/v1/history", params={"limit": 2, "offset": 1})).json()
    assert page["total"] == 5 and [t["id"] for t in page["trades"]] == [t["id"] for t in trades[1:3]]
    eurusd = (await http.get("/v1/history", params={"symbol": "EURUSD", "type": "BUY"})).json()
    assert eurusd["total"] == 2 and all(
        t["symbol"] == "EURUSD" and t["type"] == "BUY" for t in eurusd["trades"]
    )
    later = (await http.get("/v1/history", params={"from": "2999-01-01T00:00:00Z"})).json()
    assert later == {"trades": [], "total": 0}
    until = (await http.get("/v1/history", params={"to": trades[0]["closed_at"]})).json()
    assert until["total"] == 5


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "0"},
        {"limit": "1001"},
        {"limit": "x"},
        {"offset": "-1"},
        {"from": "yesterday"},
        {"to": "2026-13-01"},
        {"type": "BUY_LIMIT"},
        {"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"},
    ],
)
async def test_history_bad_query_is_400(http: httpx.AsyncClient, params: dict[str, str]) -> None:
    body = assert_error(await http.get("/v1/history", params=params), 400, "bad_request")
    assert any(name in body["message"] for name in params)
