"""Reading `/pnl [today|yesterday|week|month|FROM TO] [SYMBOL]` into a period and an optional symbol."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from fxbot.chat.symbols import SymbolResolver
from fxbot.commands.period_args import PeriodGrammar, parse_period_query
from fxbot.services.periods import REPORT_PERIODS, Period

PNL_USAGE = "/pnl [today|yesterday|week|month|FROM TO] [SYMBOL]"
PNL_EXAMPLE = "/pnl week EURUSD"
PNL_GRAMMAR = PeriodGrammar(usage=PNL_USAGE, example=PNL_EXAMPLE, periods=REPORT_PERIODS)


@dataclass(frozen=True, slots=True)
class PnlQuery:
    """What /pnl was asked for."""

    period: Period
    symbol: str | None


def parse_pnl_query(text: str, *, now: datetime, zone: ZoneInfo, symbols: SymbolResolver) -> PnlQuery:
    """Parse the words after /pnl (default: today); UsageError naming the wrong word."""
    query = parse_period_query(text, PNL_GRAMMAR, now=now, zone=zone, symbols=symbols)
    return PnlQuery(period=query.period, symbol=query.symbol)
