"""Typed arguments: every ArgKind's conversion and its error messages (binding rules: test_argument_binding)."""

from __future__ import annotations

from datetime import date

import pytest

from fxbot.chat.arguments import ArgKind, Argument, PriceOrPips
from fxbot.domain.access import Role, Scope
from fxbot.errors import UsageError

from .argument_support import bind, error_of, one

# -- SYMBOL / SYMBOLS -------------------------------------------------------------------------------------

@pytest.mark.parametrize("typed", ["EURUSD", "eurusd", "EUR/USD", "eur-usd", "'eur usd'"])
def test_symbol_variants(typed: str) -> None:
    assert one(ArgKind.SYMBOL, typed) == "EURUSD"


def test_symbol_split_in_two_words_is_joined() -> None:
    args = bind("/cmd eur usd 0.1", Argument("s", ArgKind.SYMBOL), Argument("v", ArgKind.VOLUME))
    assert (args["s"], args["v"]) == ("EURUSD", 0.1)


@pytest.mark.parametrize(("typed", "suggestion"), [("EURUSDD", "EURUSD"), ("EURUS", "EURUSD"),
                                                   ("GPBUSD", "GBPUSD"), ("USDEUR", "EURUSD")])
def test_unknown_symbol_suggests(typed: str, suggestion: str) -> None:
    assert error_of(ArgKind.SYMBOL, typed) == f"unknown symbol '{typed}' — did you mean {suggestion}?"


def test_unknown_symbol_without_suggestion_lists_known() -> None:
    message = error_of(ArgKind.SYMBOL, "BTC")
    assert message.startswith("unknown symbol 'BTC' — known symbols: AUDUSD, EURCHF")


def test_symbols_from_broker_with_suffix() -> None:
    assert bind("/cmd eurusd", Argument("s", ArgKind.SYMBOL), known=("EURUSD.m",))["s"] == "EURUSD.m"
    assert bind("/cmd eurusd.M", Argument("s", ArgKind.SYMBOL), known=("EURUSD.m",))["s"] == "EURUSD.m"


def test_symbol_open_world_when_nothing_known() -> None:
    assert bind("/cmd btcusd", Argument("s", ArgKind.SYMBOL), known=())["s"] == "BTCUSD"
    with pytest.raises(UsageError, match="symbols look like EURUSD"):
        bind("/cmd ??", Argument("s", ArgKind.SYMBOL), known=())


def test_symbols_variadic_dedupes_and_splits_commas() -> None:
    args = bind("/cmd eurusd GBPUSD,usdjpy eurusd", Argument("s", ArgKind.SYMBOLS))
    assert args["s"] == ("EURUSD", "GBPUSD", "USDJPY")
    assert args.symbols("s") == ("EURUSD", "GBPUSD", "USDJPY")


def test_symbols_optional_defaults_to_empty_and_max() -> None:
    assert bind("/cmd", Argument("s", ArgKind.SYMBOLS, required=False))["s"] == ()
    with pytest.raises(UsageError, match="missing S"):
        bind("/cmd", Argument("s", ArgKind.SYMBOLS))
    with pytest.raises(UsageError, match="at most 2 symbols at once, got 3"):
        bind("/cmd eurusd gbpusd usdjpy", Argument("s", ArgKind.SYMBOLS, max=2))
    with pytest.raises(UsageError, match="did you mean GBPUSD"):
        bind("/cmd eurusd gbpusdd", Argument("s", ArgKind.SYMBOLS))


# -- VOLUME -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "value"), [("0.01", 0.01), ("0.1", 0.1), ("1", 1.0), ("100", 100.0),
                                              ("2.50", 2.5), (".5", 0.5)])
def test_volume_ok(typed: str, value: float) -> None:
    assert one(ArgKind.VOLUME, typed) == value


@pytest.mark.parametrize(("typed", "message"), [
    ("0.015", "volume '0.015' is not a multiple of 0.01"),
    ("0", "volume '0' must be positive (lots, e.g. 0.10)"),
    ("-1", "volume '-1' must be positive"),
    ("150", "volume '150' is above the maximum of 100 lots"),
    ("abc", "volume 'abc' is not a number"),
    ("0,1", "volume '0,1' — use a dot for decimals: 0.1"),
    ("1e-2", "volume '1e-2' is not a number"),
    ("nan", "volume 'nan' is not a number"),
    ("9" * 60, "is above the maximum of 100 lots"),
])
def test_volume_errors(typed: str, message: str) -> None:
    assert message in error_of(ArgKind.VOLUME, typed, "volume")


def test_volume_custom_limits() -> None:
    assert error_of(ArgKind.VOLUME, "0.05", min=0.1) == "x '0.05' is below the minimum of 0.1 lots"
    assert error_of(ArgKind.VOLUME, "6", "lots", max=5) == "lots '6' is above the maximum of 5 lots"


# -- PRICE / PRICE_OR_PIPS -----------------------------------------------------------------------------

def test_price() -> None:
    assert one(ArgKind.PRICE, "1.0850") == 1.085
    assert error_of(ArgKind.PRICE, "0") == "x '0' must be a positive price"
    assert error_of(ArgKind.PRICE, "-1.2") == "x '-1.2' must be positive"
    assert error_of(ArgKind.PRICE, "inf") == "x 'inf' is not a number"
    assert error_of(ArgKind.PRICE, "1" * 400).endswith("must be a positive price")


@pytest.mark.parametrize(("typed", "expected"), [
    ("1.0850", PriceOrPips(1.085, False)), ("20p", PriceOrPips(20.0, True)),
    ("20pips", PriceOrPips(20.0, True)), ("12.5PIP", PriceOrPips(12.5, True)),
    ("'15 pips'", PriceOrPips(15, True)),
])
def test_price_or_pips(typed: str, expected: PriceOrPips) -> None:
    assert one(ArgKind.PRICE_OR_PIPS, typed) == expected


@pytest.mark.parametrize(("typed", "message"), [
    ("20x", "x '20x' is neither a price (1.0850) nor a distance in pips (20p)"),
    ("p", "x 'p' is neither a price"),
    ("0p", "x '0p' must be more than 0 pips"),
    ("-20p", "x '-20p' must be positive"),
    ("0", "x '0' must be a positive price"),
    ("99999p", "above the maximum of 10000 pips"),
])
def test_price_or_pips_errors(typed: str, message: str) -> None:
    assert message in error_of(ArgKind.PRICE_OR_PIPS, typed)


# -- POSITIVE_INT, CHOICE, TEXT, DATE, TIMEFRAME -------------------------------------------------------

def test_positive_int() -> None:
    assert one(ArgKind.POSITIVE_INT, "7") == 7
    assert error_of(ArgKind.POSITIVE_INT, "0") == "x '0' is below the minimum of 1"
    assert error_of(ArgKind.POSITIVE_INT, "-3") == "x '-3' must be positive"
    assert error_of(ArgKind.POSITIVE_INT, "2.5") == "x '2.5' is not a whole number"
    assert error_of(ArgKind.POSITIVE_INT, "٣") == "x '٣' is not a whole number"
    assert error_of(ArgKind.POSITIVE_INT, "51", max=50) == "x '51' is above the maximum of 50"
    assert error_of(ArgKind.POSITIVE_INT, "1" * 20) == "x '11111111111111111111' is far too large"


def test_choice() -> None:
    assert one(ArgKind.CHOICE, "SILENT", choices=("on", "silent", "off")) == "silent"
    assert error_of(ArgKind.CHOICE, "loud", choices=("on", "off")) == "x 'loud' must be one of: on, off"


def test_text_takes_the_rest_of_the_line_when_last() -> None:
    args = bind("/cmd pos_1 remember to   move sl", Argument("ref", ArgKind.ORDER_REF),
                Argument("note", ArgKind.TEXT))
    assert args["note"] == "remember to move sl"
    assert error_of(ArgKind.TEXT, "abcdef", max=3) == "x is 6 characters long — at most 3 are allowed"


def test_text_not_last_takes_one_word() -> None:
    args = bind("/cmd alpha 3", Argument("t", ArgKind.TEXT), Argument("n", ArgKind.POSITIVE_INT))
    assert (args["t"], args["n"]) == ("alpha", 3)


def test_date() -> None:
    assert one(ArgKind.DATE, "2026-04-02") == date(2026, 4, 2)
    assert error_of(ArgKind.DATE, "02.04.2026") == ("x '02.04.2026' is not a date — write YYYY-MM-DD, "
                                                     "e.g. 2026-04-02")
    assert error_of(ArgKind.DATE, "2026-02-30") == "x '2026-02-30' is not a real calendar date"


@pytest.mark.parametrize(("typed", "value"), [("h1", "H1"), ("M15", "M15"), ("mn", "MN"), ("MN1", "MN"),
                                              ("4h", "H4"), ("d1", "D1")])
def test_timeframe(typed: str, value: str) -> None:
    assert one(ArgKind.TIMEFRAME, typed) == value


def test_timeframe_error() -> None:
    assert error_of(ArgKind.TIMEFRAME, "H2") == "timeframe 'H2' must be one of: M1 M5 M15 M30 H1 H4 D1 W1 MN"


# -- ORDER_REF, KEY_NAME, USER_REF, SCOPE, ROLE -----------------------------------------------------

def test_order_ref() -> None:
    assert one(ArgKind.ORDER_REF, "ord_abc123") == "ord_abc123"
    assert one(ArgKind.ORDER_REF, "POS_9") == "pos_9"
    assert one(ArgKind.ORDER_REF, "12345") == "12345"  # a MetaTrader ticket, as the terminal shows it
    assert one(ArgKind.ORDER_REF, "#12345678") == "12345678"
    assert one(ArgKind.ORDER_REF, "00123") == "123"
    assert error_of(ArgKind.ORDER_REF, "abc") == (
        "'abc' is not a position or order — give a ticket as MetaTrader shows it (12345678 or #12345678) or an "
        "id from /positions or /orders (pos_…, ord_…)")
    assert "not a position or order" in error_of(ArgKind.ORDER_REF, "pos_")
    assert "not a position or order" in error_of(ArgKind.ORDER_REF, "#")
    for impossible in ("0", "#0", "9" * 21, str(2**63)):
        assert "is not a ticket — MetaTrader tickets are positive whole numbers" in error_of(
            ArgKind.ORDER_REF, impossible)


def test_key_name() -> None:
    assert one(ArgKind.KEY_NAME, "main-2") == "main-2"
    assert error_of(ArgKind.KEY_NAME, "sk_live_abcdef123") == (
        "that looks like an API key, not a key name — give the key a short name like 'main'")
    assert "must be 1-32 letters" in error_of(ArgKind.KEY_NAME, "a" * 40)


@pytest.mark.parametrize("typed", ["@alice", "12345", "telegram:42", "discord:99887766"])
def test_user_ref_ok(typed: str) -> None:
    assert one(ArgKind.USER_REF, typed) == typed


def test_user_ref_error() -> None:
    assert error_of(ArgKind.USER_REF, "alice!") == (
        "'alice!' is not a user — write @name or the user's numeric id")


def test_scope_and_role() -> None:
    assert one(ArgKind.SCOPE, "READ-ONLY") is Scope.READ_ONLY
    assert one(ArgKind.SCOPE, "read_only") is Scope.READ_ONLY
    assert one(ArgKind.SCOPE, "full") is Scope.FULL
    assert error_of(ArgKind.SCOPE, "admin") == "scope 'admin' must be one of: read-only, trade, full"
    assert one(ArgKind.ROLE, "Trader") is Role.TRADER
    assert error_of(ArgKind.ROLE, "boss") == "role 'boss' must be one of: viewer, trader, admin"
