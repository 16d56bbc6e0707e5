"""Contract tests of the simulator's /_sim/ control endpoints (quotes, market, faults, keys, reset)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from fxbot.simulator.runner import RunningSimulator
from tests.integration.sim_contract import QUOTE_FIELDS, assert_error, assert_fields, is_time, sim_http
from tests.waiting import eventually

ORDER = {"symbol": "EURUSD", "type": "BUY", "volume": 0.01}


@pytest.fixture
async def http(sim_paused: RunningSimulator) -> AsyncIterator[httpx.AsyncClient]:
    async with sim_http(sim_paused, "trade") as client:
        yield client


async def test_set_quote_answers_the_new_quote(http: httpx.AsyncClient) -> None:
    async with httpx.AsyncClient(base_url=str(http.base_url)) as anonymous:  # no key needed
        response = await anonymous.post("/_sim/quotes/gbpusd", json={"bid": 1.25})
    assert response.status_code == 200, response.text
    body = response.json()
    assert_fields(body, QUOTE_FIELDS)
    assert body["symbol"] == "GBPUSD" and body["bid"] == 1.25
    assert body["ask"] > body["bid"] and is_time(body["time"])  # ask omitted: the spread is kept
    assert (await http.get("/v1/quotes/GBPUSD")).json()["bid"] == 1.25


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        ("/_sim/quotes/EURUSD", {}, 400, "bad_request"),
        ("/_sim/quotes/EURUSD", {"bid": "1.1"}, 400, "bad_request"),
        ("/_sim/quotes/EURUSD", {"bid": 1.1, "spread": 2}, 400, "bad_request"),
        ("/_sim/quotes/EURUSD", {"bid": -1}, 400, "invalid_price"),
        ("/_sim/quotes/EURUSD", {"bid": 1.1, "ask": 1.0}, 400, "invalid_price"),
        ("/_sim/quotes/FOOBAR", {"bid": 1.1}, 404, "not_found"),
        ("/_sim/market", {}, 400, "bad_request"),
        ("/_sim/market", {"paused": "yes"}, 400, "bad_request"),
        ("/_sim/market", {"frozen": True}, 400, "bad_request"),
        ("/_sim/faults", {"fail_next": -1}, 400, "bad_request"),
        ("/_sim/faults", {"fail_next": 1.5}, 400, "bad_request"),
        ("/_sim/faults", {"latency_ms": "slow"}, 400, "bad_request"),
        ("/_sim/faults", {"explode": True}, 400, "bad_request"),
        ("/_sim/faults", {"account_status": {"acc_nope": "disconnected"}}, 404, "not_found"),
        ("/_sim/faults", {"account_status": {"acc_8xKm2": "asleep"}}, 400, "bad_request"),
        ("/_sim/keys", {}, 400, "bad_request"),
        ("/_sim/keys", {"add": {"key": "sk_test_new", "scope": "admin"}}, 400, "bad_request"),
        ("/_sim/keys", {"add": {"key": "", "scope": "trade"}}, 400, "bad_request"),
        ("/_sim/keys", {"revoke": "sk_test_not_a_key"}, 404, "not_found"),
        ("/_sim/nothing", {}, 404, "not_found"),
    ],
)
async def test_control_bodies_are_validated(
    http: httpx.AsyncClient, path: str, body: dict[str, object], status: int, code: str
) -> None:
    before = (await http.get("/_sim/faults")).json()
    assert_error(await http.post(path, json=body), status, code)
    assert (await http.get("/_sim/faults")).json() == before
    assert (await http.get("/v1/accounts")).json()[0]["status"] == "connected"


async def test_malformed_control_json_is_400(http: httpx.AsyncClient) -> None:
    for path in ("/_sim/quotes/EURUSD", "/_sim/market", "/_sim/faults", "/_sim/keys"):
        assert_error(
            await http.post(path, content=b"{oops", headers={"Content-Type": "application/json"}),
            400,
            "bad_request",
        )


async def test_pausing_stops_the_random_walk(sim: RunningSimulator) -> None:
    async with sim_http(sim, "read-only") as http:
        assert (await http.post("/_sim/market", json={"paused": True})).json() == {
            "paused": True,
            "closed": False,
        }
        frozen = (await http.get("/v1/quotes/EURUSD")).json()
        await asyncio.sleep(0.25)  # several tick intervals: none may move the price ("nothing happened" check)
        assert (await http.get("/v1/quotes/EURUSD")).json() == frozen
        explicit = (await http.post("/_sim/quotes/EURUSD", json={"bid": 1.2, "ask": 1.20003})).json()
        assert explicit["bid"] == 1.2  # explicit quotes still work while paused
        assert (await http.post("/_sim/market", json={"paused": False})).json()["paused"] is False

        async def moved() -> bool:
            return bool((await http.get("/v1/quotes/EURUSD")).json()["time"] != explicit["time"])

        await eventually(moved, "the random walk to move EURUSD again", poll_s=0.05)


async def test_sl_tp_and_stop_out_react_to_set_quotes(http: httpx.AsyncClient) -> None:
    await http.post("/_sim/quotes/EURUSD", json={"bid": 1.1, "ask": 1.10002})
    placed = (await http.post("/v1/orders", json={**ORDER, "tp": 1.105})).json()
    await http.post("/_sim/quotes/EURUSD", json={"bid": 1.106, "ask": 1.10602})
    assert (await http.get("/v1/positions")).json() == []
    trade = (await http.get("/v1/history")).json()["trades"][0]
    assert trade["reason"] == "tp" and trade["order_id"] == placed["id"]
    # a big position and a crash of the price: stop-out closes it
    await http.post("/v1/orders", json={"symbol": "EURUSD", "type": "BUY", "volume": 8})
    await http.post("/_sim/quotes/EURUSD", json={"bid": 0.9, "ask": 0.90002})
    assert (await http.get("/v1/positions")).json() == []
    assert (await http.get("/v1/history")).json()["trades"][0]["reason"] == "stop_out"


async def test_account_status_fault_and_clear(http: httpx.AsyncClient) -> None:
    accounts = [item["id"] for item in (await http.get("/v1/accounts")).json()]
    assert (
        await http.post("/_sim/faults", json={"account_status": {accounts[0]: "disconnected"}})
    ).status_code == 200
    listed = {item["id"]: item["status"] for item in (await http.get("/v1/accounts")).json()}
    assert listed == {accounts[0]: "disconnected", accounts[1]: "connected"}
    message = assert_error(await http.post("/v1/orders", json=ORDER), 400, "bad_request")["message"]
    assert "disconnected" in message
    assert (await http.get("/v1/account")).status_code == 200  # reads still answer
    assert (await http.post("/v1/orders", json=ORDER, params={"account_id": accounts[1]})).status_code == 201
    cleared = (await http.post("/_sim/faults", json={})).json()
    assert cleared == {"fail_next": 0, "fail_after_next": 0, "latency_ms": 0, "rate_limit_for_s": 0}
    assert all(item["status"] == "connected" for item in (await http.get("/v1/accounts")).json())
    assert (await http.post("/v1/orders", json=ORDER)).status_code == 201


async def test_keys_add_and_revoke(http: httpx.AsyncClient, sim_paused: RunningSimulator) -> None:
    added = await http.post("/_sim/keys", json={"add": {"key": "sk_test_added_ro", "scope": "read-only"}})
    assert added.status_code == 200 and "sk_test_added_ro" not in added.text
    assert added.json()["added"]["scope"] == "read-only"
    assert_error(
        await http.post("/_sim/keys", json={"add": {"key": "sk_test_added_ro", "scope": "full"}}),
        400,
        "bad_request",
    )
    async with sim_http(sim_paused, key="sk_test_added_ro") as other:
        assert (await other.get("/v1/account")).status_code == 200
        assert_error(await other.post("/v1/orders", json=ORDER), 403, "forbidden")
        assert (await http.post("/_sim/keys", json={"revoke": "sk_test_added_ro"})).json() == {
            "revoked": True
        }
        assert_error(await other.get("/v1/account"), 401, "unauthorized")
    assert_error(await http.post("/_sim/keys", json={"revoke": "sk_test_added_ro"}), 404, "not_found")


async def test_reset_gives_a_fresh_engine_and_clears_everything(
    http: httpx.AsyncClient, sim_paused: RunningSimulator
) -> None:
    await http.post("/v1/orders", json=ORDER)
    await http.post("/_sim/faults", json={"latency_ms": 5})
    await http.post("/_sim/keys", json={"revoke": sim_paused.keys["full"]})
    answer = (await http.post("/_sim/reset")).json()
    assert answer["reset"] is True and answer["seed"] == 42 and answer["paused"] is True
    assert (await http.get("/v1/positions")).json() == []
    assert (await http.get("/_sim/faults")).json()["latency_ms"] == 0
    async with sim_http(sim_paused, "full") as full:
        assert (await full.get("/v1/account")).json()["balance"] == 10000
