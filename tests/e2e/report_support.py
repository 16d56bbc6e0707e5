"""Helpers for the report, chart and digest e2e tests: trades with chosen prices and times on the engine."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fxbot.simulator.engine import SimEngine
from tests.e2e.conftest import BotHarness


@dataclass(frozen=True)
class ExpectedFigures:
    """Totals computed from the simulator's own history rows (the oracle for the report)."""

    trades: int
    profit: float
    commission: float
    swap: float
    wins: int
    losses: int
    gross_win: float
    gross_loss: float
    by_symbol: dict[str, float]

    @property
    def net(self) -> float:
        return self.profit + self.commission + self.swap


def engine_of(bot: BotHarness) -> tuple[SimEngine, str]:
    engine = bot.sim.state.engine
    return engine, engine.account_ids()[0]


def trade(bot: BotHarness, symbol: str, side: str, *, open_bid: float, close_bid: float, opened: datetime,
          closed: datetime, volume: float = 0.1) -> dict[str, Any]:
    """Open at `open_bid` (its ask for a BUY) at `opened`, close at `close_bid` at `closed`, on the engine."""
    engine, account = engine_of(bot)
    engine.set_quote(symbol, open_bid, None, opened)
    placed, _ = engine.place_order(account, symbol=symbol, type=side, volume=volume, price=None, sl=None,
                                   tp=None, comment=None, now=opened)
    engine.set_quote(symbol, close_bid, None, closed)
    engine.close_order(account, placed["position_id"], None, closed)
    return placed


def history_rows(bot: BotHarness, start: datetime | None = None, end: datetime | None = None
                 ) -> list[dict[str, Any]]:
    engine, account = engine_of(bot)
    rows: list[dict[str, Any]] = engine.history(account, start=start, end=end, symbol=None, type=None,
                                                limit=10_000, offset=0)["trades"]
    return rows


def expected_from(rows: list[dict[str, Any]]) -> ExpectedFigures:
    nets = [r["profit"] + r["commission"] + r["swap"] for r in rows]
    by_symbol: dict[str, float] = {}
    for row, net in zip(rows, nets, strict=True):
        by_symbol[row["symbol"]] = by_symbol.get(row["symbol"], 0.0) + net
    return ExpectedFigures(
        trades=len(rows),
        profit=sum(r["profit"] for r in rows),
        commission=sum(r["commission"] for r in rows),
        swap=sum(r["swap"] for r in rows),
        wins=sum(1 for n in nets if n > 0),
        losses=sum(1 for n in nets if n < 0),
        gross_win=sum(n for n in nets if n > 0),
        gross_loss=sum(n for n in nets if n < 0),
        by_symbol=by_symbol,
    )
