"""Contract tests of the simulator's error answers: 401, 404 routes, malformed bodies, 429, 500 and faults.

The rate limiter and the forced-429 fault run on a ManualClock here, so their windows never depend
on how fast the machine sends the requests.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import httpx
import pytest

from fxbot.simulator.faults import Faults
from fxbot.simulator.ratelimit import SlidingWindowLimiter
from fxbot.simulator.runner import RunningSimulator
from tests.fakes.clocks import ManualClock
from tests.integration.sim_contract import assert_error, sim_http
from tests.waiting import eventually

ORDER = {"symbol": "EURUSD", "type": "BUY", "volume": 0.01}


@pytest.fixture
async def http(sim_paused: RunningSimulator) -> AsyncIterator[httpx.AsyncClient]:
    async with sim_http(sim_paused, "trade") as client:
        yield client


@pytest.fixture
def sim_clock(sim_paused: RunningSimulator) -> ManualClock:
    """The clock of the simulator's rate limiter and faults: it moves only when the test says so."""
    clock = ManualClock()
    sim_paused.state.limiter = SlidingWindowLimiter(sim_paused.state.limiter.limit, clock=clock)
    sim_paused.state.faults = Faults(clock=clock)
    return clock


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


async def test_rate_limit_per_account_with_retry_after(http: httpx.AsyncClient, sim_clock: ManualClock) -> None:
    limit = 60
    accounts = [item["id"] for item in (await http.get("/v1/accounts")).json()]  # counts as one request
    statuses = [(await http.get("/v1/quotes/EURUSD")).status_code for _ in range(70)]
    assert statuses == [200] * (limit - 1) + [429] * (70 - limit + 1)  # all within one (frozen) second
    limited = await http.get("/v1/account")
    body = assert_error(limited, 429, "rate_limited")
    assert accounts[0] in body["message"]
    assert int(limited.headers["Retry-After"]) == 1
    # explicit first account shares the bucket; the second account has its own
    assert_error(await http.get("/v1/account", params={"account_id": accounts[0]}), 429, "rate_limited")
    assert (await http.get("/v1/account", params={"account_id": accounts[1]})).status_code == 200
    sim_clock.advance(0.5)  # the window has not slid past the accepted requests yet
    assert_error(await http.get("/v1/account"), 429, "rate_limited")
    sim_clock.advance(0.5)  # refused requests did not count: a second after the first, all is allowed
    assert (await http.get("/v1/account")).status_code == 200


async def test_forced_rate_limit_fault(http: httpx.AsyncClient, sim_clock: ManualClock) -> None:
    assert (await http.post("/_sim/faults", json={"rate_limit_for_s": 2.5})).status_code == 200
    response = await http.get("/v1/account")
    assert_error(response, 429, "rate_limited")
    assert response.headers["Retry-After"] == "3"  # whole seconds, rounded up
    assert_error(await http.post("/v1/orders", json=ORDER), 429, "rate_limited")
    sim_clock.advance(1.0)
    assert (await http.get("/v1/account")).headers["Retry-After"] == "2"
    assert (await http.post("/_sim/faults", json={})).json()["rate_limit_for_s"] == 0
    assert (await http.get("/v1/account")).status_code == 200
    assert (await http.get("/v1/positions")).json() == []
    assert (await http.post("/_sim/faults", json={"rate_limit_for_s": 0.5})).status_code == 200
    assert_error(await http.get("/v1/account"), 429, "rate_limited")
    sim_clock.advance(0.5)  # it ends on its own
    assert (await http.get("/v1/account")).status_code == 200


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


async def test_latency_fault_delays_answers(http: httpx.AsyncClient, sim_paused: RunningSimulator) -> None:
    latency_s = 1.0  # far longer than the client timeout below, whatever the load
    assert (await http.post("/_sim/faults", json={"latency_ms": latency_s * 1000})).status_code == 200
    with pytest.raises(httpx.ReadTimeout):
        await http.post("/v1/orders", json=ORDER, timeout=0.1)
    started = time.monotonic()
    assert (await http.get("/v1/account")).status_code == 200
    assert time.monotonic() - started >= latency_s - 0.01  # a lower bound: holds on any machine
    assert (await http.post("/_sim/faults", json={})).json()["latency_ms"] == 0
    engine = sim_paused.state.engine
    await eventually(lambda: len(engine.positions(engine.account_ids()[0])) == 1, "the timed-out order")
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
