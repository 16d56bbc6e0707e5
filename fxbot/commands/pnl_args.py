"""Reading `/pnl [today|yesterday|week|month|FROM TO] [SYMBOL]` into a period and an optional symbol."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from fxbot.chat.symbols import SymbolResolver
from fxbot.domain.redaction import redact_secrets
from fxbot.errors import UsageError
from fxbot.services.periods import NAMED_PERIODS, Period, date_range_period, named_period, parse_day

PNL_USAGE = "/pnl [today|yesterday|week|month|FROM TO] [SYMBOL]"
PNL_EXAMPLE = "/pnl week EURUSD"
PNL_PERIODS = (*NAMED_PERIODS, "yesterday")


@dataclass(frozen=True, slots=True)
class PnlQuery:
    """What /pnl was asked for."""

    period: Period
    symbol: str | None


def _fail(message: str) -> UsageError:
    return UsageError(message, usage=PNL_USAGE, example=PNL_EXAMPLE)


def _shown(token: str) -> str:
    return redact_secrets(token if len(token) <= 24 else token[:24] + "…")


def yesterday_period(now: datetime, zone: ZoneInfo) -> Period:
    """The whole local day before the one containing `now`."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    day = now.astimezone(zone).date() - timedelta(days=1)
    whole = date_range_period(day, day, zone)
    return Period(label=f"yesterday ({day.isoformat()})", start=whole.start, end=whole.end)


def parse_pnl_query(text: str, *, now: datetime, zone: ZoneInfo, symbols: SymbolResolver) -> PnlQuery:
    """Parse the words after /pnl (default: today); UsageError naming the wrong word."""
    tokens = text.split()
    period: Period | None = None
    symbol: str | None = None
    i = 0
    while i < len(tokens):
        token = tokens[i]
        low = token.lower()
        if low in PNL_PERIODS or parse_day(token) is not None:
            if period is not None:
                raise _fail(f"give one period only ('{_shown(token)}' is a second one)")
            if low == "yesterday":
                period = yesterday_period(now, zone)
            elif low in NAMED_PERIODS:
                period = named_period(low, now, zone)
            else:
                first = parse_day(token)
                last = parse_day(tokens[i + 1]) if i + 1 < len(tokens) else None
                if first is None or last is None:
                    raise _fail("a date range needs two dates: FROM TO, e.g. 2026-04-01 2026-04-05")
                try:
                    period = date_range_period(first, last, zone)
                except UsageError as error:
                    raise _fail(error.message) from None
                i += 1
        elif any(ch.isdigit() for ch in token) and "-" in token:
            raise _fail(f"'{_shown(token)}' is not a date — write it as YYYY-MM-DD, e.g. 2026-04-02")
        else:
            found = symbols.resolve(token)
            if found is None:
                hint = symbols.suggest(token)
                also = f" — did you mean {hint}?" if hint else ""
                raise _fail(f"'{_shown(token)}' is neither a period (today, yesterday, week, month, FROM TO)"
                            f" nor a known symbol{also}")
            if symbol is not None and symbol != found:
                raise _fail("give at most one symbol")
            symbol = found
        i += 1
    if period is None:
        period = named_period("today", now, zone)
    return PnlQuery(period=period, symbol=symbol)
