"""The shared period + symbol (+ page) reader behind /history and /pnl, and the named periods it uses."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from fxbot.chat.symbols import SymbolResolver
from fxbot.commands.history_args import HISTORY_GRAMMAR
from fxbot.commands.period_args import PeriodGrammar, parse_period_query, shown_token
from fxbot.commands.pnl_args import PNL_GRAMMAR
from fxbot.domain.instruments import INSTRUMENTS
from fxbot.errors import UsageError
from fxbot.services.periods import named_period, yesterday_period

NOW = datetime(2026, 4, 2, 14, 30, tzinfo=UTC)
UTC_ZONE = ZoneInfo("UTC")
SYMBOLS = SymbolResolver(INSTRUMENTS)


def parse(text: str, grammar: PeriodGrammar, page: int | None = None):  # type: ignore[no-untyped-def]
    return parse_period_query(text, grammar, now=NOW, zone=UTC_ZONE, symbols=SYMBOLS, page_option=page)


def test_yesterday_is_a_named_period_for_pnl_only() -> None:
    query = parse("yesterday eurusd", PNL_GRAMMAR)
    assert query.period == yesterday_period(NOW, UTC_ZONE) == named_period("yesterday", NOW, UTC_ZONE)
    assert query.period.label == "yesterday (2026-04-01)" and query.period_words == "yesterday"
    bounds = (query.period.start, query.period.end)
    assert bounds == (datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 4, 2, tzinfo=UTC))
    with pytest.raises(UsageError, match=r"neither a period \(today, week, month, FROM TO\)"):
        parse("yesterday", HISTORY_GRAMMAR)


def test_page_is_read_only_where_the_grammar_allows_it() -> None:
    assert parse("page 2", HISTORY_GRAMMAR).page == 2
    assert parse("", PNL_GRAMMAR).page == 1
    pnl_words = r"\(today, yesterday, week, month, FROM TO\)"
    with pytest.raises(UsageError, match=rf"'page' is neither a period {pnl_words}"):
        parse("page 2", PNL_GRAMMAR)


def test_errors_carry_the_grammars_usage_and_example() -> None:
    for grammar in (HISTORY_GRAMMAR, PNL_GRAMMAR):
        with pytest.raises(UsageError, match="ends \\(2026-04-01\\) before it starts") as caught:
            parse("2026-04-05 2026-04-01", grammar)
        assert (caught.value.usage, caught.value.example) == (grammar.usage, grammar.example)
        with pytest.raises(UsageError, match="did you mean EURUSD") as caught:
            parse("EURUSDD", grammar)
        assert caught.value.usage == grammar.usage


def test_quoted_words_are_shortened_and_masked() -> None:
    assert shown_token("x" * 30) == "x" * 24 + "…"
    assert "abcdefghijklmnop" not in shown_token("sk_live_abcdefghijklmnop")
