"""Reading `/history [today|week|month|FROM TO] [SYMBOL] [page N]` into a period, symbol filter and page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from fxbot.chat.symbols import SymbolResolver
from fxbot.commands.period_args import PeriodGrammar, parse_period_query
from fxbot.services.periods import NAMED_PERIODS, Period

HISTORY_USAGE = "/history [today|week|month|FROM TO] [SYMBOL] [page N]"
HISTORY_EXAMPLE = "/history week EURUSD"
HISTORY_GRAMMAR = PeriodGrammar(usage=HISTORY_USAGE, example=HISTORY_EXAMPLE, periods=NAMED_PERIODS,
                                allow_page=True)


@dataclass(frozen=True, slots=True)
class HistoryQuery:
    """What /history was asked for; `words` is the request without the page (for "see more" hints)."""

    period: Period
    symbol: str | None
    page: int
    words: str


def parse_history_query(
    text: str, *, now: datetime, zone: ZoneInfo, symbols: SymbolResolver, page_option: int | None = None
) -> HistoryQuery:
    """Parse the words after /history; `page_option` is a `page=N` option if one was given."""
    query = parse_period_query(text, HISTORY_GRAMMAR, now=now, zone=zone, symbols=symbols,
                               page_option=page_option)
    words = " ".join(part for part in (query.period_words, query.symbol or "") if part)
    return HistoryQuery(period=query.period, symbol=query.symbol, page=query.page, words=words)
