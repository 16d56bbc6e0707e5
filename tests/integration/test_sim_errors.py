"""Contract tests of the simulator's error answers: 401, 404 routes, malformed bodies, 429, 500 and faults."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from fxbot.simulator.runner import RunningSimulator
from tests.integration.sim_contract import assert_error, sim_http

ORDER = {"symbol": "EURUSD", "type": "BUY", "volume": 0.01}


@pytest.fixture
async def http(sim_paused: RunningSimulator) -> AsyncIterator[httpx.AsyncClient]:
    async with sim_http(sim_paused, "trade") as client:
        yield client


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer sk_test_unknown", "Basic abc", "sk_test_x"])
async def test_missing_or_unknown_key_is_401(sim: RunningSimulator, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    async with sim_http(sim) as http:
        for path in ("/v1/account", "/v1/quotes/EURUSD", "/v1/nothing"):
            assert_error(await http.get(path, headers=headers), 401, "unauthorized")
        assert_error(await http.post("/v1/orders", json=ORDER, headers=headers), 401, "unauthorized")


async def test_revoked_key_is_401(http: httpx.AsyncClient, sim_paused: RunningSimulator) -> None:
    key = sim_paused.keys["trade"]
    assert (await http.get("/v1/account")).status_code == 200
    answer = await http.post("/_sim/keys", json={"revoke": key})
    assert answer.status_code == 200 and key not in answer.text
    assert_error(await http.get("/v1/account"), 401, "unauthorized")


async def test_unknown_routes_are_404_in_error_shape(http: httpx.AsyncClient) -> None:
    assert_error(await http.get("/v1/nothing"), 404, "not_found")
    assert_error(await http.get("/elsewhere"), 404, "not_found")
    assert_error(await http.get("/v1/stream"), 404, "not_found")  # plain HTTP on the stream path


async def test_malformed_json_and_non_object_bodies(http: httpx.AsyncClient) -> None:
    headers = {"Content-Type": "application/json"}
    for raw in (b"{", b"not json", b"[1, 2]", b"", b'"EURUSD"', b'{"symbol": NaN}'):
        assert_error(await http.post("/v1/orders", content=raw, headers=headers), 400, "bad_request")
        assert_error(await http.patch("/v1/orders/ord_x", content=raw, headers=headers), 400, "bad_request")
    assert (await http.get("/v1/positions")).json() == []


async def test_rate_limit_per_account_with_retry_after(http: httpx.AsyncClient) -> None:
    accounts = [item["id"] for item in (await http.get("/v1/accounts")).json()]
    statuses = [(await http.get("/v1/quotes/EURUSD")).status_code for _ in range(70)]
    assert statuses.count(429) >= 1 and statuses[:58].count(429) == 0
    limited = await http.get("/v1/account")
    body = assert_error(limited, 429, "rate_limited")
    assert accounts[0] in body["message"]
    retry_after = int(limited.headers["Retry-After"])
    assert retry_after >= 1
    # explicit first account shares the bucket; the second account has its own
    assert_error(await http.get("/v1/account", params={"account_id": accounts[0]}), 429, "rate_limited")
    assert (await http.get("/v1/account", params={"account_id": accounts[1]})).status_code == 200


async def test_forced_rate_limit_fault(http: httpx.AsyncClient) -> None:
    assert (await http.post("/_sim/faults", json={"rate_limit_for_s": 2.5})).status_code == 200
    response = await http.get("/v1/account")
    assert_error(response, 429, "rate_limited")
    assert int(response.headers["Retry-After"]) in (2, 3)
    assert_error(await http.post("/v1/orders", json=ORDER), 429, "rate_limited")
    assert (await http.post("/_sim/faults", json={})).json()["rate_limit_for_s"] == 0
    assert (await http.get("/v1/account")).status_code == 200
    assert (await http.get("/v1/positions")).json() == []


async def test_fail_next_answers_500_without_executing(http: httpx.AsyncClient) -> None:
    assert (await http.post("/_sim/faults", json={"fail_next": 2})).json()["fail_next"] == 2
    assert_error(await http.post("/v1/orders", json=ORDER), 500, "internal_error")
    assert_error(await http.get("/v1/account"), 500, "internal_error")
    assert (await http.get("/v1/positions")).json() == []  # nothing executed; fault used up


async def test_fail_after_next_executes_then_answers_500(http: httpx.AsyncClient) -> None:
    assert (await http.post("/_sim/faults", json={"fail_after_next": 1})).status_code == 200
    assert_error(await http.post("/v1/orders", json=ORDER), 500, "internal_error")
    positions = (await http.get("/v1/positions")).json()
    assert len(positions) == 1 and positions[0]["volume"] == 0.01  # it did take effect
    assert (await http.post("/v1/orders", json=ORDER)).status_code == 201


async def test_latency_fault_delays_answers(http: httpx.AsyncClient) -> None:
    assert (await http.post("/_sim/faults", json={"latency_ms": 300})).status_code == 200
    started = time.monotonic()
    assert (await http.get("/v1/account")).status_code == 200
    assert time.monotonic() - started >= 0.29
    with pytest.raises(httpx.ReadTimeout):
        await http.post("/v1/orders", json=ORDER, timeout=0.1)
    await asyncio.sleep(0.3)
    assert (await http.post("/_sim/faults", json={})).json()["latency_ms"] == 0
    assert len((await http.get("/v1/positions")).json()) == 1  # the timed-out order was placed


async def test_unexpected_exception_is_500_in_error_shape(
    http: httpx.AsyncClient, sim_paused: RunningSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object, **kwargs: object) -> object:
        raise RuntimeError("engine bug")

    monkeypatch.setattr(sim_paused.state.engine, "account", boom)
    body = assert_error(await http.get("/v1/account"), 500, "internal_error")
    assert "engine bug" not in body["message"]
    assert (await http.get("/v1/positions")).status_code == 200  # the server keeps serving
