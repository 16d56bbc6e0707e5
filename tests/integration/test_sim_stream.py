"""Contract tests of the simulator's /v1/stream WebSocket with raw `websockets` and JSON frames."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import websockets
from websockets.asyncio.client import ClientConnection, connect

from fxbot.simulator.runner import RunningSimulator, start_simulator
from tests.conftest import sim_test_config
from tests.fakes.clocks import ManualTimers
from tests.integration.sim_contract import ACCOUNT_FIELDS, assert_error, auth, is_time, sim_http


@pytest.fixture
async def http(sim_paused: RunningSimulator) -> AsyncIterator[httpx.AsyncClient]:
    async with sim_http(sim_paused, "trade") as client:
        yield client


async def _open(sim: RunningSimulator, scope: str = "read-only") -> ClientConnection:
    return await connect(sim.stream_url, additional_headers=auth(sim.keys[scope]))


async def _send(ws: ClientConnection, message: dict[str, Any]) -> None:
    await ws.send(json.dumps(message))


WAIT_S = 30.0  # real seconds for a frame that must come; only a hang reaches it


async def _next(ws: ClientConnection, wait_s: float = WAIT_S) -> dict[str, Any]:
    frame = json.loads(await asyncio.wait_for(ws.recv(), wait_s))
    assert set(frame) == {"type", "data"}, frame
    return dict(frame)


async def _next_of(ws: ClientConnection, kind: str, wait_s: float = WAIT_S) -> dict[str, Any]:
    """The data of the next frame of that type (other frames are skipped)."""
    deadline = time.monotonic() + wait_s
    while True:
        frame = await _next(ws, max(0.01, deadline - time.monotonic()))
        if frame["type"] == kind:
            return dict(frame["data"])


async def _quiet(ws: ClientConnection, seconds: float = 0.2) -> list[dict[str, Any]]:
    """The frames that arrive within `seconds` (for "nothing more came" checks only: never to wait for one)."""
    frames: list[dict[str, Any]] = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            frames.append(await _next(ws, left))
        except TimeoutError:
            break
    return frames


async def _set(http: httpx.AsyncClient, symbol: str, bid: float, ask: float) -> None:
    assert (await http.post(f"/_sim/quotes/{symbol}", json={"bid": bid, "ask": ask})).status_code == 200


@pytest.mark.parametrize("key", [None, "sk_test_unknown"])
async def test_upgrade_without_valid_key_is_401(sim: RunningSimulator, key: str | None) -> None:
    headers = auth(key) if key else {}
    with pytest.raises(websockets.InvalidStatus) as caught:
        await connect(sim.stream_url, additional_headers=headers)
    response = caught.value.response
    assert response.status_code == 401
    assert json.loads(response.body)["error"] == "unauthorized"


async def test_quotes_only_for_subscribed_symbols(
    sim_paused: RunningSimulator, http: httpx.AsyncClient
) -> None:
    async with await _open(sim_paused) as ws:
        await _send(ws, {"action": "subscribe", "channel": "quotes", "symbols": ["eurusd", "XAUUSD"]})
        assert await _next(ws) == {
            "type": "subscribed",
            "data": {"channel": "quotes", "symbols": ["EURUSD", "XAUUSD"]},
        }
        await _set(http, "GBPUSD", 1.25, 1.2501)
        await _set(http, "EURUSD", 1.1, 1.10002)
        frame = await _next(ws)
        assert frame["type"] == "quote"
        assert {"symbol", "bid", "ask", "time"} <= set(frame["data"])
        assert (
            frame["data"]["symbol"] == "EURUSD"
            and frame["data"]["bid"] == 1.1
            and frame["data"]["ask"] == 1.10002
        )
        assert is_time(frame["data"]["time"])
        await _send(ws, {"action": "unsubscribe", "channel": "quotes", "symbols": ["EURUSD"]})
        assert await _next(ws) == {
            "type": "unsubscribed",
            "data": {"channel": "quotes", "symbols": ["EURUSD"]},
        }
        await _set(http, "EURUSD", 1.2, 1.20002)
        await _set(http, "XAUUSD", 2300.0, 2300.3)
        frame = await _next(ws)
        assert frame["type"] == "quote" and frame["data"]["symbol"] == "XAUUSD"
        assert await _quiet(ws) == []


async def test_running_market_streams_ticks(sim: RunningSimulator) -> None:
    async with await _open(sim) as ws:
        await _send(ws, {"action": "subscribe", "channel": "quotes", "symbols": ["USDJPY"]})
        await _next_of(ws, "subscribed")
        seen = [await _next_of(ws, "quote") for _ in range(3)]
    assert all(item["symbol"] == "USDJPY" for item in seen)


async def test_order_events_from_rest_actions(sim_paused: RunningSimulator, http: httpx.AsyncClient) -> None:
    await _set(http, "EURUSD", 1.1, 1.10002)
    account = (await http.get("/v1/account")).json()["id"]
    async with await _open(sim_paused) as ws:
        await _send(ws, {"action": "subscribe", "channel": "orders"})
        assert await _next(ws) == {"type": "subscribed", "data": {"channel": "orders", "account_id": account}}
        placed = (
            await http.post("/v1/orders", json={"symbol": "EURUSD", "type": "BUY", "volume": 0.1, "sl": 1.09})
        ).json()
        opened = await _next_of(ws, "order_opened")
        assert {"id", "symbol", "type", "volume", "price"} <= set(opened)
        assert opened["id"] == placed["id"] and opened["status"] == "filled"
        assert opened["position_id"] == placed["position_id"] and opened["account_id"] == account
        await http.patch(f"/v1/orders/{placed['id']}", json={"tp": 1.2})
        modified = await _next_of(ws, "order_modified")
        assert (
            {"id", "sl", "tp", "price"} <= set(modified) and modified["tp"] == 1.2 and modified["sl"] == 1.09
        )
        pending = (
            await http.post(
                "/v1/orders", json={"symbol": "EURUSD", "type": "BUY_LIMIT", "volume": 0.1, "price": 1.095}
            )
        ).json()
        assert (await _next_of(ws, "order_opened"))["status"] == "pending"
        await _set(http, "EURUSD", 1.0948, 1.09482)  # fills the BUY_LIMIT
        filled = await _next_of(ws, "order_filled")
        assert filled["id"] == pending["id"] and filled["position_id"].startswith("pos_")
        await _set(http, "EURUSD", 1.0899, 1.08992)  # hits the first position's SL at 1.09
        closed = await _next_of(ws, "order_closed")
        assert {"id", "position_id", "symbol", "type", "volume", "close_price", "profit", "reason"} <= set(
            closed
        )
        assert closed["reason"] == "sl" and closed["position_id"] == placed["position_id"]
        another = (
            await http.post(
                "/v1/orders", json={"symbol": "EURUSD", "type": "SELL_LIMIT", "volume": 0.1, "price": 1.2}
            )
        ).json()
        await _next_of(ws, "order_opened")
        await http.delete(f"/v1/orders/{another['id']}")
        assert (await _next_of(ws, "order_cancelled"))["id"] == another["id"]
        await http.delete(f"/v1/orders/{filled['position_id']}")
        assert (await _next_of(ws, "order_closed"))["reason"] == "manual"


async def test_order_events_only_for_subscribed_accounts(
    sim_paused: RunningSimulator, http: httpx.AsyncClient
) -> None:
    accounts = [item["id"] for item in (await http.get("/v1/accounts")).json()]
    async with await _open(sim_paused) as ws:
        await _send(ws, {"action": "subscribe", "channel": "orders", "account_id": accounts[1]})
        assert (await _next(ws))["data"] == {"channel": "orders", "account_id": accounts[1]}
        order = {"symbol": "EURUSD", "type": "BUY", "volume": 0.01}
        assert (await http.post("/v1/orders", json=order)).status_code == 201
        assert (
            await http.post("/v1/orders", json=order, params={"account_id": accounts[1]})
        ).status_code == 201
        opened = await _next_of(ws, "order_opened")
        assert opened["account_id"] == accounts[1]
        assert [f for f in await _quiet(ws) if f["type"].startswith("order_")] == []
        await _send(ws, {"action": "unsubscribe", "channel": "orders", "account_id": accounts[1]})
        assert (await _next(ws))["type"] == "unsubscribed"
        await http.post("/v1/orders", json=order, params={"account_id": accounts[1]})
        assert await _quiet(ws) == []


async def test_account_updates_are_throttled_and_end_on_the_latest_state(
    sim_paused: RunningSimulator, http: httpx.AsyncClient
) -> None:
    timers = ManualTimers()  # the throttle's clock: frozen until the test advances it
    sim_paused.state.hub.timers = timers
    await _set(http, "EURUSD", 1.1, 1.10002)
    async with await _open(sim_paused) as ws:
        await _send(ws, {"action": "subscribe", "channel": "account"})
        assert (await _next(ws))["data"]["channel"] == "account"
        await http.post("/v1/orders", json={"symbol": "EURUSD", "type": "BUY", "volume": 1})
        first = await _next_of(ws, "account_update")  # the first goes at once
        assert set(first) >= ACCOUNT_FIELDS and first["margin"] > 0
        for step in range(1, 11):
            await _set(http, "EURUSD", 1.1 + step * 0.0001, 1.10002 + step * 0.0001)
        assert [f for f in await _quiet(ws) if f["type"] == "account_update"] == []  # held for the interval
        timers.advance(sim_paused.state.hub.interval_s)
        latest = await _next_of(ws, "account_update")  # one frame, with the latest state
        final = (await http.get("/v1/account")).json()
        assert latest["equity"] == final["equity"] and latest["equity"] != first["equity"]
        timers.advance(sim_paused.state.hub.interval_s)
        assert [f for f in await _quiet(ws) if f["type"] == "account_update"] == []


async def test_error_frames_keep_the_connection_open(sim_paused: RunningSimulator) -> None:
    async with await _open(sim_paused) as ws:
        bad_messages = [
            "not json",
            json.dumps([1, 2]),
            json.dumps({"action": "dance", "channel": "quotes", "symbols": ["EURUSD"]}),
            json.dumps({"action": "subscribe", "channel": "news"}),
            json.dumps({"action": "subscribe", "channel": "quotes"}),
            json.dumps({"action": "subscribe", "channel": "quotes", "symbols": ["EURUSD", "FOOBAR"]}),
            json.dumps({"action": "subscribe", "channel": "orders", "account_id": "acc_nope"}),
        ]
        for text in bad_messages:
            await ws.send(text)
            frame = await _next(ws)
            assert frame["type"] == "error", (text, frame)
            assert set(frame["data"]) == {"error", "message"} and frame["data"]["message"]
        await ws.send(b"binary")
        assert (await _next(ws))["type"] == "error"
        # nothing was subscribed by the refused messages
        await _send(ws, {"action": "subscribe", "channel": "quotes", "symbols": ["GBPUSD"]})
        assert (await _next(ws))["type"] == "subscribed"


async def test_drop_streams_fault_and_reconnect(
    sim_paused: RunningSimulator, http: httpx.AsyncClient
) -> None:
    ws = await _open(sim_paused)
    await _send(ws, {"action": "subscribe", "channel": "quotes", "symbols": ["EURUSD"]})
    await _next(ws)
    assert (await http.post("/_sim/faults", json={"drop_streams": True})).status_code == 200
    with pytest.raises(websockets.ConnectionClosed):
        await asyncio.wait_for(ws.recv(), WAIT_S)
    async with await _open(sim_paused) as again:
        await _send(again, {"action": "subscribe", "channel": "quotes", "symbols": ["EURUSD"]})
        assert (await _next(again))["type"] == "subscribed"


async def test_revoking_a_key_closes_its_streams(
    sim_paused: RunningSimulator, http: httpx.AsyncClient
) -> None:
    ws_revoked = await _open(sim_paused, "read-only")
    async with await _open(sim_paused, "full") as ws_other:
        assert (
            await http.post("/_sim/keys", json={"revoke": sim_paused.keys["read-only"]})
        ).status_code == 200
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(ws_revoked.recv(), WAIT_S)
        await _send(ws_other, {"action": "subscribe", "channel": "account"})
        assert (await _next(ws_other))["type"] == "subscribed"


async def test_reset_closes_streams(sim_paused: RunningSimulator, http: httpx.AsyncClient) -> None:
    ws = await _open(sim_paused)
    assert (await http.post("/_sim/reset")).status_code == 200
    with pytest.raises(websockets.ConnectionClosed):
        await asyncio.wait_for(ws.recv(), WAIT_S)


async def test_server_sends_websocket_pings() -> None:
    """Read raw frames: a ping (opcode 0x9) must arrive within the configured interval."""
    async with await start_simulator(sim_test_config(paused=True, ping_interval_s=0.1)) as sim:
        reader, writer = await asyncio.open_connection("127.0.0.1", sim.port)
        nonce = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            (
                f"GET /v1/stream HTTP/1.1\r\nHost: 127.0.0.1:{sim.port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {nonce}\r\nSec-WebSocket-Version: 13\r\n"
                f"Authorization: Bearer {sim.keys['read-only']}\r\n\r\n"
            ).encode()
        )
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT_S)
        assert head.startswith(b"HTTP/1.1 101")
        first = await asyncio.wait_for(reader.readexactly(2), WAIT_S)
        assert first[0] & 0x0F == 0x9
        writer.close()


async def test_http_answer_shape_of_denied_upgrade_over_httpx(sim: RunningSimulator) -> None:
    async with sim_http(sim) as client:
        assert_error(await client.get("/v1/stream"), 401, "unauthorized")
