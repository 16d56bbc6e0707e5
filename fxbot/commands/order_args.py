"""Argument parsing of the order commands: /modify's stops, and /close's target, amount and filters."""

from __future__ import annotations

import re
from dataclasses import dataclass

from fxbot.chat.argument_types import ArgKind, Argument, PriceOrPips
from fxbot.chat.argument_values import convert_value, read_order_ref, shown
from fxbot.chat.symbols import SymbolResolver
from fxbot.domain.instruments import INSTRUMENTS
from fxbot.domain.redaction import redact_secrets
from fxbot.errors import UsageError
from fxbot.services.close_filters import (
    CLOSE_USAGE,
    FILTER_WORDS,
    CloseAmount,
    CloseFilter,
    build_filter,
    parse_amount,
)
from fxbot.services.trading_models import CloseTargetKind, StopEdit
from fxbot.services.trading_modify import MODIFY_USAGE

CLEAR_WORDS = frozenset({"none", "off", "clear", "remove", "0"})
_VOLUME_LIKE = re.compile(r"\d*[.,]\d+", re.ASCII)
_NO_SYMBOLS = SymbolResolver(())


def parse_stop_edit(name: str, text: str | None) -> StopEdit | None:
    """A /modify stop: None (not given), StopEdit(None) for sl=none, or a price / pips level."""
    if text is None:
        return None
    if text.strip().lower() in CLEAR_WORDS:
        return StopEdit(None)
    try:
        value = convert_value(Argument(name, ArgKind.PRICE_OR_PIPS), text.strip(), _NO_SYMBOLS)
    except UsageError as error:
        raise UsageError(f"{error.message}, or 'none' to remove it", usage=MODIFY_USAGE,
                         example="/modify 12345678 sl=1.0800 tp=none") from None
    assert isinstance(value, PriceOrPips)
    return StopEdit(value)


def parse_close_target(text: str) -> tuple[str, CloseTargetKind]:
    """`all`, a position (its ticket `12345678`/`#12345678`, or a `/v1` pos_… id), or a symbol
    (case-insensitive; a typo gets a suggestion). An all-digit word is always a ticket, never a symbol."""
    cleaned = text.strip()
    if cleaned.lower() == "all":
        return "all", "all"
    try:
        ref = read_order_ref(cleaned)
    except UsageError as error:
        raise UsageError(error.message, usage=CLOSE_USAGE, example="/close 12345678") from None
    if ref is not None:
        return ref, "id"
    if _VOLUME_LIKE.fullmatch(cleaned):
        raise UsageError(f"'{shown(cleaned)}' looks like a volume — say first what to close: a ticket, a symbol "
                         f"or all, then the lots (/close 12345678 {cleaned.replace(',', '.')})",
                         usage=CLOSE_USAGE, example="/close 12345678 0.05")
    resolver = SymbolResolver(INSTRUMENTS)
    symbol = resolver.resolve(cleaned)
    if symbol is None:
        raise UsageError(f"{resolver.unknown_message(redact_secrets(cleaned))} (close takes a position's ticket "
                         "or id, a symbol or 'all')",
                         usage=CLOSE_USAGE, example="/close 12345678")
    return symbol, "symbol"


def _resolve_symbol(word: str) -> str:
    resolver = SymbolResolver(INSTRUMENTS)
    symbol = resolver.resolve(word)
    if symbol is None:
        raise UsageError(f"{resolver.unknown_message(redact_secrets(word))} (close takes a position's ticket or id, "
                         "or filters: a symbol, buy|sell, winners|losers, all)", usage=CLOSE_USAGE,
                         example="/close EURUSD losers")
    return symbol


@dataclass(frozen=True, slots=True)
class CloseRequest:
    """What /close was asked: a target of a kind, an optional partial amount, an optional filter."""

    target: str
    kind: CloseTargetKind
    amount: CloseAmount | None = None
    close_filter: CloseFilter | None = None


def parse_close_words(words: list[str]) -> CloseRequest:
    """`ID [VOLUME|PERCENT%]`, or filter words combined (`EURUSD losers`, `buy winners`, `all`)."""
    if not words:
        raise UsageError("say what to close", usage=CLOSE_USAGE, example="/close 12345678")
    first, rest = words[0], words[1:]
    if first.lower() not in FILTER_WORDS:
        target, kind = parse_close_target(first)
        if kind == "id":
            if len(rest) > 1:
                raise UsageError(f"one position and one amount at most — got {' '.join(shown(w) for w in rest)}",
                                 usage=CLOSE_USAGE, example=f"/close {first} 50%")
            return CloseRequest(target, "id", parse_amount(rest[0]) if rest else None)
        if not rest:
            return CloseRequest(target, kind)
    for word in rest:
        if read_order_ref(word) is not None or _VOLUME_LIKE.fullmatch(word) or word.endswith("%"):
            raise UsageError(f"'{shown(word)}': a volume or percentage only goes with ONE position's ticket or id, "
                             "not with filters", usage=CLOSE_USAGE, example="/close 12345678 50%")
    close_filter = build_filter(words, _resolve_symbol)
    if close_filter.is_all:
        return CloseRequest("all", "all")
    if not close_filter.is_narrowed:
        assert close_filter.symbol is not None
        return CloseRequest(close_filter.symbol, "symbol")
    return CloseRequest(" ".join(w.lower() if w.lower() in FILTER_WORDS else w.upper() for w in words), "filter",
                        close_filter=close_filter)
