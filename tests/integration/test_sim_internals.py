"""Pure checks of the simulator server's parts: rate limiter, faults, scopes, config, stream hub throttle."""

from __future__ import annotations

from typing import Any

import pytest

from fxbot.domain.access import Scope
from fxbot.simulator.auth import KeyStore, generate_key, parse_bearer, required_scope
from fxbot.simulator.config import SimConfig
from fxbot.simulator.errors import SimError
from fxbot.simulator.events import SimEvent
from fxbot.simulator.faults import Faults, parse_fault_request
from fxbot.simulator.ratelimit import SlidingWindowLimiter
from fxbot.simulator.stream_hub import StreamHub
from tests.fakes.clocks import ManualClock, ManualTimers


def test_sliding_window_allows_60_then_refuses_until_the_oldest_leaves() -> None:
    clock = ManualClock(100.0)
    limiter = SlidingWindowLimiter(60, clock=clock)
    for i in range(60):
        clock.now = 100.0 + i * 0.01
        assert limiter.hit("acc_a") is None
    assert limiter.hit("acc_a") == 1
    assert limiter.hit("acc_b") is None  # per account
    clock.now = 100.999
    assert limiter.hit("acc_a") == 1  # Retry-After is never below 1
    clock.now = 101.0  # the first hit (t=100.0) has left the window
    assert limiter.hit("acc_a") is None
    assert limiter.hit("acc_a") == 1


def test_forced_rate_limit_counts_down_in_whole_seconds() -> None:
    clock = ManualClock(100.0)
    faults = Faults(clock=clock)
    faults.apply(parse_fault_request({"rate_limit_for_s": 2.2}, []))
    assert faults.forced_retry_after() == 3
    clock.now += 2.0
    assert faults.forced_retry_after() == 1
    clock.now += 0.3
    assert faults.forced_retry_after() is None


def test_fault_counters_are_consumed() -> None:
    faults = Faults()
    faults.apply(parse_fault_request({"fail_next": 1, "fail_after_next": 2}, []))
    assert faults.take_fail_before() and not faults.take_fail_before()
    assert faults.take_fail_after() and faults.take_fail_after() and not faults.take_fail_after()
    request = parse_fault_request({}, [])
    assert request.clear


@pytest.mark.parametrize(
    "body",
    [
        {"fail_next": True},
        {"latency_ms": -1},
        {"latency_ms": 10**9},
        {"drop_streams": 1},
        {"account_status": []},
    ],
)
def test_bad_fault_bodies(body: dict[str, Any]) -> None:
    with pytest.raises(SimError) as caught:
        parse_fault_request(body, ["acc_1"])
    assert caught.value.status == 400 and caught.value.code == "bad_request"


def test_required_scopes() -> None:
    assert required_scope("GET", "/v1/orders") is Scope.READ_ONLY
    assert required_scope("POST", "/v1/orders") is Scope.TRADE
    assert required_scope("DELETE", "/v1/orders/ord_1") is Scope.TRADE
    assert required_scope("POST", "/v1/ordersx") is Scope.FULL
    assert required_scope("PUT", "/v1/account") is Scope.FULL


def test_keys_and_bearer_parsing() -> None:
    key = generate_key(Scope.TRADE)
    assert key.startswith("sk_test_trade_") and len(key) > 30 and key != generate_key(Scope.TRADE)
    store = KeyStore([(Scope.TRADE, key)])
    assert key not in repr(store)
    assert parse_bearer(f"Bearer {key}") == key and parse_bearer(f"bearer  {key} ") == key
    assert parse_bearer("Basic x") is None and parse_bearer("Bearer ") is None and parse_bearer(None) is None
    record = store.lookup(key)
    assert record is not None and record.scope is Scope.TRADE and key not in repr(record)
    assert store.revoke(key) and store.lookup(key) is None and not store.revoke(key)


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"port": -1}, "port"),
        ({"tick_interval_ms": 0}, "tick interval"),
        ({"keys": [("admin", "sk_test_x")]}, "unknown scope"),
        ({"keys": [("trade", "a b")]}, "no spaces"),
        ({"keys": [("trade", "k"), ("full", "k")]}, "twice"),
    ],
)
def test_config_refuses_bad_values(overrides: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        SimConfig(**overrides)


def test_config_repr_hides_keys() -> None:
    assert "sk_test_secret" not in repr(SimConfig(keys=[("trade", "sk_test_secret")]))


class FakeConnection:
    def __init__(self, accounts: set[str]) -> None:
        self.account_accounts = accounts
        self.order_accounts: set[str] = set()
        self.quote_symbols: set[str] = set()
        self.sent: list[str] = []

    def send(self, text: str) -> None:
        self.sent.append(text)


def test_account_updates_throttled_latest_wins() -> None:
    timers = ManualTimers()
    hub = StreamHub(account_update_interval_s=0.25, timers=timers)
    conn = FakeConnection({"acc_1"})
    hub.connections.add(conn)  # type: ignore[arg-type]

    def update(equity: float) -> SimEvent:
        return SimEvent("account_update", {"equity": equity, "account_id": "acc_1"}, "acc_1")

    hub.publish([update(1.0)])
    assert len(conn.sent) == 1  # the first goes at once
    hub.publish([update(2.0), update(3.0)])
    timers.advance(0.125)
    hub.publish([update(4.0)])
    assert len(conn.sent) == 1  # the rest waits for the interval
    timers.advance(0.125)
    assert len(conn.sent) == 2 and '"equity":4.0' in conn.sent[1]  # only the latest state, not lost
    timers.advance(0.25)
    assert len(conn.sent) == 2
    hub.publish([update(5.0)])
    assert len(conn.sent) == 3  # after a quiet interval the next goes at once
    hub.publish([update(6.0)])
    hub.reset_throttles()  # a reset forgets what was held
    timers.advance(1.0)
    assert len(conn.sent) == 3
