"""Binding rules: positional and keyword arguments, defaults, and the usage errors of a whole command line."""

from __future__ import annotations

import pytest

from fxbot.chat.arguments import ArgKind, Argument, BoundArgs, PriceOrPips, bind_arguments
from fxbot.chat.parser import parse
from fxbot.errors import UsageError

from .argument_support import KNOWN, bind, spec

# -- binding rules -------------------------------------------------------------------------------------

BUY = (Argument("symbol", ArgKind.SYMBOL), Argument("volume", ArgKind.VOLUME, help="lots, e.g. 0.10"),
       Argument("sl", ArgKind.PRICE_OR_PIPS, required=False, keyword=True),
       Argument("tp", ArgKind.PRICE_OR_PIPS, required=False, keyword=True))


def test_bind_buy_with_options() -> None:
    args = bind("/buy eurusd 0.10 sl=20p tp=1.0950", *BUY)
    assert dict(args) == {"symbol": "EURUSD", "volume": 0.1, "sl": PriceOrPips(20.0, True),
                          "tp": PriceOrPips(1.095, False)}
    assert args.optional("sl", PriceOrPips) == PriceOrPips(20.0, True)
    assert args.value("volume", float) == 0.1


def test_missing_optional_keyword_is_none_or_default() -> None:
    args = bind("/buy eurusd 0.10", *BUY[:2], Argument("n", ArgKind.POSITIVE_INT, required=False, default=5))
    assert args["n"] == 5
    args = bind("/buy eurusd 0.10", *BUY)
    assert args["sl"] is None and args.optional("sl", PriceOrPips) is None


def test_positional_may_be_given_by_name() -> None:
    args = bind("/buy volume=0.2 symbol=gbpusd", *BUY)
    assert (args["symbol"], args["volume"]) == ("GBPUSD", 0.2)


def test_usage_error_carries_usage_and_example() -> None:
    parsed = parse("/buy EURUSD 0.015")
    assert parsed is not None
    command = spec(*BUY, name="buy", usage="/buy SYMBOL VOLUME [sl=..] [tp=..]")
    with pytest.raises(UsageError) as caught:
        bind_arguments(command, parsed, KNOWN)
    assert caught.value.message == "volume '0.015' is not a multiple of 0.01"
    assert caught.value.usage == "/buy SYMBOL VOLUME [sl=..] [tp=..]"
    assert caught.value.example == "/buy example"


def test_missing_argument_message() -> None:
    with pytest.raises(UsageError) as caught:
        bind("/buy EURUSD", *BUY)
    assert caught.value.message == "missing VOLUME (lots, e.g. 0.10)"
    with pytest.raises(UsageError, match="missing price="):
        bind("/x", Argument("price", ArgKind.PRICE, keyword=True))


def test_too_many_arguments_message() -> None:
    with pytest.raises(UsageError) as caught:
        bind("/buy EURUSD 0.1 20", *BUY)
    assert caught.value.message == (
        "too many arguments: '20' — /cmd takes at most 2 arguments: SYMBOL VOLUME (options go as sl=… tp=…)")
    with pytest.raises(UsageError, match="takes no arguments"):
        bind("/cmd x")


def test_unknown_option_message() -> None:
    with pytest.raises(UsageError) as caught:
        bind("/buy EURUSD 0.1 stop=20p", *BUY)
    assert caught.value.message == "unknown option stop= for /cmd — it accepts sl= tp="
    with pytest.raises(UsageError, match="it takes no name=value options"):
        bind("/cmd foo=1")


def test_empty_option_value() -> None:
    with pytest.raises(UsageError, match="sl= is empty"):
        bind("/buy EURUSD 0.1 sl=", *BUY)


def test_boundargs_type_checks() -> None:
    args = BoundArgs({"a": "x", "n": 3, "b": True})
    with pytest.raises(TypeError):
        args.value("a", int)
    assert args.number("n") == 3.0
    with pytest.raises(TypeError):
        args.number("b")
    with pytest.raises(KeyError):
        BoundArgs({"a": None}).value("a", str)
    assert len(args) == 3 and set(args) == {"a", "n", "b"}


def test_argument_declaration_rules() -> None:
    with pytest.raises(ValueError, match="no choices"):
        Argument("c", ArgKind.CHOICE)
    with pytest.raises(ValueError, match="must be 1-32"):
        Argument("Bad Name", ArgKind.TEXT)
    with pytest.raises(ValueError, match="cannot be a keyword"):
        Argument("s", ArgKind.SYMBOLS, keyword=True)
    assert Argument("sl", ArgKind.PRICE, keyword=True).display == "sl="
    assert Argument("volume", ArgKind.VOLUME).display == "VOLUME"
