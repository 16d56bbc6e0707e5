"""Reading `/history [today|week|month|FROM TO] [SYMBOL] [page N]` into a period, symbol filter and page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from fxbot.chat.symbols import SymbolResolver
from fxbot.domain.redaction import redact_secrets
from fxbot.errors import UsageError
from fxbot.services.periods import NAMED_PERIODS, Period, date_range_period, named_period, parse_day

HISTORY_USAGE = "/history [today|week|month|FROM TO] [SYMBOL] [page N]"
HISTORY_EXAMPLE = "/history week EURUSD"
DEFAULT_PERIOD = "today"
MAX_PAGE = 1000


@dataclass(frozen=True, slots=True)
class HistoryQuery:
    """What /history was asked for; `words` is the request without the page (for "see more" hints)."""

    period: Period
    symbol: str | None
    page: int
    words: str


def _fail(message: str) -> UsageError:
    return UsageError(message, usage=HISTORY_USAGE, example=HISTORY_EXAMPLE)


def _shown(token: str) -> str:
    return redact_secrets(token if len(token) <= 24 else token[:24] + "…")


def parse_history_query(
    text: str, *, now: datetime, zone: ZoneInfo, symbols: SymbolResolver, page_option: int | None = None
) -> HistoryQuery:
    """Parse the words after /history; `page_option` is a `page=N` option if one was given."""
    tokens = text.split()
    period: Period | None = None
    period_words = ""
    symbol: str | None = None
    page: int | None = page_option
    i = 0
    while i < len(tokens):
        token = tokens[i]
        low = token.lower()
        if low in NAMED_PERIODS:
            if period is not None:
                raise _fail(f"give one period only ('{_shown(token)}' is a second one)")
            period, period_words = named_period(low, now, zone), low
        elif low == "page":
            if page is not None:
                raise _fail("give the page once")
            if i + 1 >= len(tokens) or not tokens[i + 1].isdigit():
                raise _fail("'page' needs a number, e.g. page 2")
            page = int(tokens[i + 1][:6])
            i += 1
        elif parse_day(token) is not None:
            if period is not None:
                raise _fail(f"give one period only ('{_shown(token)}' is a second one)")
            first = parse_day(token)
            last = parse_day(tokens[i + 1]) if i + 1 < len(tokens) else None
            if first is None or last is None:
                raise _fail("a date range needs two dates: FROM TO, e.g. 2026-04-01 2026-04-05")
            period, period_words = date_range_period(first, last, zone), f"{token} {tokens[i + 1]}"
            i += 1
        elif any(ch.isdigit() for ch in token) and "-" in token:
            raise _fail(f"'{_shown(token)}' is not a date — write it as YYYY-MM-DD, e.g. 2026-04-02")
        else:
            found = symbols.resolve(token)
            if found is None:
                raise _fail(
                    f"'{_shown(token)}' is neither a period (today, week, month, FROM TO) nor a known symbol"
                )
            if symbol is not None and symbol != found:
                raise _fail("give at most one symbol")
            symbol = found
        i += 1
    if page is None:
        page = 1
    if not 1 <= page <= MAX_PAGE:
        raise _fail(f"the page must be between 1 and {MAX_PAGE}")
    if period is None:
        period, period_words = named_period(DEFAULT_PERIOD, now, zone), DEFAULT_PERIOD
    words = " ".join(part for part in (period_words, symbol or "") if part)
    return HistoryQuery(period=period, symbol=symbol, page=page, words=words)
