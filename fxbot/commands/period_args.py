"""Reading a report command's words — a period (named or FROM TO), an optional symbol, maybe `page N`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from fxbot.chat.symbols import SymbolResolver
from fxbot.domain.redaction import redact_secrets
from fxbot.errors import UsageError
from fxbot.services.periods import Period, date_range_period, named_period, parse_day

DEFAULT_PERIOD = "today"
MAX_PAGE = 1000
SHOWN_TOKEN_CHARS = 24


@dataclass(frozen=True, slots=True)
class PeriodGrammar:
    """What one command accepts: its period words, whether `page N` is allowed, and its usage for errors."""

    usage: str
    example: str
    periods: tuple[str, ...]
    allow_page: bool = False

    def fail(self, message: str) -> UsageError:
        """A UsageError carrying this command's usage and example."""
        return UsageError(message, usage=self.usage, example=self.example)


@dataclass(frozen=True, slots=True)
class PeriodQuery:
    """A period, the words that named it (for "see more" hints), an optional symbol and a page (1 if none)."""

    period: Period
    period_words: str
    symbol: str | None
    page: int


def shown_token(token: str) -> str:
    """A word the person typed, shortened and with anything key-like masked, fit to quote back."""
    short = token if len(token) <= SHOWN_TOKEN_CHARS else token[:SHOWN_TOKEN_CHARS] + "…"
    return redact_secrets(short)


def parse_period_query(
    text: str,
    grammar: PeriodGrammar,
    *,
    now: datetime,
    zone: ZoneInfo,
    symbols: SymbolResolver,
    page_option: int | None = None,
) -> PeriodQuery:
    """Read the words in any order (default period: today); a UsageError naming the wrong word.

    `page_option` is a `page=N` option given beside the words (only where the grammar allows paging).
    """
    tokens = text.split()
    period: Period | None = None
    period_words = ""
    symbol: str | None = None
    page = page_option
    i = 0
    while i < len(tokens):
        token = tokens[i]
        low = token.lower()
        if low in grammar.periods or parse_day(token) is not None:
            if period is not None:
                raise grammar.fail(f"give one period only ('{shown_token(token)}' is a second one)")
            if low in grammar.periods:
                period, period_words = named_period(low, now, zone), low
            else:
                period, period_words = _date_range(tokens, i, grammar, zone)
                i += 1
        elif grammar.allow_page and low == "page":
            if page is not None:
                raise grammar.fail("give the page once")
            if i + 1 >= len(tokens) or not tokens[i + 1].isdigit():
                raise grammar.fail("'page' needs a number, e.g. page 2")
            page = int(tokens[i + 1][:6])
            i += 1
        elif any(ch.isdigit() for ch in token) and "-" in token:
            shown = shown_token(token)
            raise grammar.fail(f"'{shown}' is not a date — write it as YYYY-MM-DD, e.g. 2026-04-02")
        else:
            found = _symbol(token, grammar, symbols)
            if symbol is not None and symbol != found:
                raise grammar.fail("give at most one symbol")
            symbol = found
        i += 1
    if page is None:
        page = 1
    if grammar.allow_page and not 1 <= page <= MAX_PAGE:
        raise grammar.fail(f"the page must be between 1 and {MAX_PAGE}")
    if period is None:
        period, period_words = named_period(DEFAULT_PERIOD, now, zone), DEFAULT_PERIOD
    return PeriodQuery(period=period, period_words=period_words, symbol=symbol, page=page)


def _date_range(tokens: list[str], i: int, grammar: PeriodGrammar, zone: ZoneInfo) -> tuple[Period, str]:
    """The FROM TO range starting at tokens[i], and the words that named it."""
    first = parse_day(tokens[i])
    last = parse_day(tokens[i + 1]) if i + 1 < len(tokens) else None
    if first is None or last is None:
        raise grammar.fail("a date range needs two dates: FROM TO, e.g. 2026-04-01 2026-04-05")
    try:
        period = date_range_period(first, last, zone)
    except UsageError as error:
        raise grammar.fail(error.message) from None
    return period, f"{tokens[i]} {tokens[i + 1]}"


def _symbol(token: str, grammar: PeriodGrammar, symbols: SymbolResolver) -> str:
    """The known symbol `token` names, or a UsageError listing the periods and any close symbol."""
    found = symbols.resolve(token)
    if found is not None:
        return found
    hint = symbols.suggest(token)
    also = f" — did you mean {hint}?" if hint else ""
    periods = ", ".join((*grammar.periods, "FROM TO"))
    raise grammar.fail(f"'{shown_token(token)}' is neither a period ({periods}) nor a known symbol{also}")
