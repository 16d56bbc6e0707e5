"""Quotes of every symbol: digits, spreads, the seeded walk, determinism and the account listings."""

from __future__ import annotations

from datetime import timedelta

from fxbot.domain.instruments import INSTRUMENTS
from fxbot.simulator.accounts_config import DEFAULT_ACCOUNTS
from fxbot.simulator.engine import SimEngine
from tests.unit.simulator.sim_support import EUR, T0, USD, at, market, pending

EXPECTED = [
    "EURUSD",
    "GBPUSD",
    "USDJPY",
    "USDCHF",
    "AUDUSD",
    "USDCAD",
    "NZDUSD",
    "EURGBP",
    "EURJPY",
    "GBPJPY",
    "EURCHF",
    "XAUUSD",
    "XAGUSD",
]


def run(seed: int, ticks: int = 50) -> list[dict]:  # type: ignore[type-arg]
    engine = SimEngine(seed=seed, start_time=T0)
    frames = []
    for second in range(1, ticks + 1):
        frames += [e.data for e in engine.tick(at(second))]
    return frames


def test_every_symbol_is_quoted_with_its_digits() -> None:
    engine = SimEngine(seed=1, start_time=T0)
    assert engine.symbols() == EXPECTED
    for symbol in EXPECTED:
        quote = engine.quote(symbol.lower())
        spec = INSTRUMENTS[symbol]
        assert quote["symbol"] == symbol and quote["time"] == "2026-03-31T12:00:00.000Z"
        assert (
            round(quote["bid"], spec.digits) == quote["bid"]
            and round(quote["ask"], spec.digits) == quote["ask"]
        )
        assert abs(quote["bid"] / spec.reference_price - 1) < 0.02
        assert quote["spread"] == spec.pips(quote["ask"] - quote["bid"])


def test_spreads_stay_positive_and_near_typical() -> None:
    engine = SimEngine(seed=2, start_time=T0)
    seen: dict[str, set[int]] = {symbol: set() for symbol in EXPECTED}
    for second in range(1, 301):
        for event in engine.tick(at(second)):
            if event.type != "quote":
                continue
            spec = INSTRUMENTS[event.symbol or ""]
            data = event.data
            assert data["bid"] == round(data["bid"], spec.digits)
            points = spec.to_points(data["ask"]) - spec.to_points(data["bid"])
            assert points >= 1
            assert abs(points - spec.typical_spread_points) <= max(1, spec.typical_spread_points // 5)
            seen[spec.symbol].add(points)
    assert all(len(values) >= 2 for values in seen.values())  # it varies


def test_walk_moves_prices_realistically() -> None:
    engine = SimEngine(seed=4, start_time=T0)
    start = engine.quote("EURUSD")["bid"]
    for minute in range(1, 121):
        engine.tick(T0 + timedelta(minutes=minute))
    moved = abs(engine.quote("EURUSD")["bid"] - start)
    assert 0 < moved < 0.02  # a couple of hours of EURUSD: something, but not a crash


def test_same_seed_same_calls_same_market() -> None:
    assert run(9) == run(9)
    assert run(9) != run(10)


def test_ids_are_prefixed_and_deterministic() -> None:
    def ids(seed: int) -> list[str]:
        engine = SimEngine(seed=seed, start_time=T0)
        filled = market(engine, USD, "EURUSD", "BUY", 0.1)
        order = pending(engine, USD, "EURUSD", "BUY_LIMIT", 0.1, 1.0)
        _, _ = engine.close_order(USD, filled["id"], None, T0)
        trade = engine.history(USD, start=None, end=None, symbol=None, type=None, limit=1, offset=0)[
            "trades"
        ][0]
        return [filled["id"], filled["position_id"], order["id"], trade["id"]]

    first = ids(1)
    assert [i[:4] for i in first] == ["ord_", "pos_", "ord_", "trd_"]
    assert len(set(first)) == 4
    assert first == ids(1) and first != ids(2)


def test_accounts_listing_and_state() -> None:
    engine = SimEngine(seed=1, start_time=T0)
    assert engine.account_ids() == [USD, EUR] == [spec.id for spec in DEFAULT_ACCOUNTS]
    listing = engine.accounts_list()
    assert listing[0] == {
        "id": USD,
        "broker": "ICMarkets",
        "platform": "MT5",
        "status": "connected",
        "login": 51234567,
        "name": "Demo USD (MT5)",
        "currency": "USD",
    }
    assert listing[1]["platform"] == "MT4" and listing[1]["currency"] == "EUR"
    assert engine.account(EUR) == {
        "id": EUR,
        "balance": 5000.0,
        "equity": 5000.0,
        "margin": 0.0,
        "free_margin": 5000.0,
        "currency": "EUR",
        "margin_level": None,
        "leverage": 30,
        "profit": 0.0,
    }
    engine.set_account_status(EUR, "connecting")
    assert engine.account_status(EUR) == "connecting"


def test_tick_emits_quotes_then_account_updates_for_accounts_with_positions() -> None:
    engine = SimEngine(seed=1, start_time=T0)
    market(engine, USD, "XAUUSD", "BUY", 0.01)
    events = engine.tick(at(1))
    quotes = [e for e in events if e.type == "quote"]
    assert [e.symbol for e in quotes] == EXPECTED and all(e.account_id is None for e in quotes)
    updates = [e for e in events if e.type == "account_update"]
    assert [e.account_id for e in updates] == [USD]
    assert updates[0].data["account_id"] == USD and updates[0].data == {
        **engine.account(USD),
        "account_id": USD,
    }


def test_set_quote_keeps_the_spread_when_ask_is_missing() -> None:
    engine = SimEngine(seed=1, start_time=T0)
    engine.set_quote("USDJPY", 150.000, 150.008, T0)
    quote, events = engine.set_quote("usdjpy", 151.5, None, at(1))
    assert quote == {
        "symbol": "USDJPY",
        "bid": 151.5,
        "ask": 151.508,
        "spread": 0.8,
        "time": "2026-03-31T12:00:01.000Z",
    }
    assert events[0].type == "quote" and events[0].data["bid"] == 151.5
