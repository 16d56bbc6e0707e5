"""Shared builders for the simulator engine unit tests: a fixed start time, quotes and state snapshots."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fxbot.simulator.engine import SimEngine

USD = "acc_8xKm2"
EUR = "acc_4pQr7"
# Tuesday 2026-03-31 12:00 UTC (New York is on EDT: rollover at 21:00 UTC).
T0 = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)

BASE_QUOTES: dict[str, tuple[float, float]] = {
    "EURUSD": (1.10000, 1.10002),
    "GBPUSD": (1.25000, 1.25006),
    "USDJPY": (150.000, 150.010),
    "EURGBP": (0.88000, 0.88008),
    "EURJPY": (165.000, 165.010),
    "XAUUSD": (2000.00, 2000.25),
}


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def make_engine(seed: int = 7) -> SimEngine:
    """An engine with the base quotes set (no positions)."""
    engine = SimEngine(seed=seed, start_time=T0)
    for symbol, (bid, ask) in BASE_QUOTES.items():
        engine.set_quote(symbol, bid, ask, T0)
    return engine


def market(
    engine: SimEngine,
    account: str,
    symbol: str,
    side: str,
    volume: float,
    when: datetime = T0,
    sl: float | None = None,
    tp: float | None = None,
) -> dict[str, Any]:
    answer, _ = engine.place_order(
        account, symbol=symbol, type=side, volume=volume, price=None, sl=sl, tp=tp, comment=None, now=when
    )
    return answer


def pending(
    engine: SimEngine,
    account: str,
    symbol: str,
    order_type: str,
    volume: float,
    price: float,
    sl: float | None = None,
    tp: float | None = None,
) -> dict[str, Any]:
    answer, _ = engine.place_order(
        account,
        symbol=symbol,
        type=order_type,
        volume=volume,
        price=price,
        sl=sl,
        tp=tp,
        comment=None,
        now=T0,
    )
    return answer


def snapshot(engine: SimEngine) -> dict[str, Any]:
    """Everything a refused request must leave unchanged."""
    state: dict[str, Any] = {}
    for account in engine.account_ids():
        state[account] = (
            engine.account(account),
            engine.positions(account),
            engine.pending_orders(account),
            engine.history(account, start=None, end=None, symbol=None, type=None, limit=1000, offset=0),
            engine.account_status(account),
        )
    state["quotes"] = [engine.quote(symbol) for symbol in engine.symbols()]
    return state


def types_of(events: list[Any]) -> list[str]:
    return [event.type for event in events]
