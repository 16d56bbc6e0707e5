"""Order, position and trade ids are never reused by one simulator (across resets) nor by a restarted one."""

from __future__ import annotations

from datetime import datetime

from fxbot.simulator.config import SimConfig
from fxbot.simulator.state import SimState

from .sim_support import BASE_QUOTES, T0, USD, at, market


def _state(start: datetime = T0) -> SimState:
    return SimState(SimConfig(port=0, seed=42, market_paused=True), clock=lambda: start)


def _trade_once(state: SimState) -> set[str]:
    """Open and close one position; every id the engine handed out for it."""
    engine = state.engine
    for symbol, (bid, ask) in BASE_QUOTES.items():
        engine.set_quote(symbol, bid, ask, T0)
    opened = market(engine, USD, "EURUSD", "BUY", 0.1)
    engine.close_order(USD, opened["position_id"], None, at(60))
    [trade] = engine.history(USD, start=None, end=None, symbol=None, type=None, limit=10, offset=0)["trades"]
    ids = {opened["id"], opened["position_id"], trade["id"]}
    assert len(ids) == 3 and all(ids)
    return ids


def test_a_reset_never_hands_out_an_id_again() -> None:
    state = _state()
    before = _trade_once(state)
    state.reset()
    after = _trade_once(state)
    assert before and after
    assert not before & after


def test_a_restarted_simulator_with_the_same_seed_does_not_reuse_the_previous_runs_ids() -> None:
    first = _trade_once(_state(T0))
    second = _trade_once(_state(at(3600)))
    assert not first & second


def test_the_same_seed_and_start_give_the_same_ids() -> None:
    assert _trade_once(_state(T0)) == _trade_once(_state(T0))
