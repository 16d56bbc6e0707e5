"""An account's symbol names: canonical symbols to broker names (suffixes, aliases, several names per symbol), back
again, and "did you mean" for a symbol the broker lacks."""

from __future__ import annotations

import pytest

from fxbot.backends.sdk_symbols import SymbolMap, canonical_guess, pip_size, trade_mode
from fxbot.domain.broker import NotFoundError
from fxbot.domain.broker.symbols import UnknownSymbolError


@pytest.mark.parametrize("name, canonical", [
    ("EURUSD", "EURUSD"), ("EURUSDm", "EURUSD"), ("EURUSD.sd", "EURUSD"), ("EURUSD-ECN", "EURUSD"),
    ("#EURUSD", "EURUSD"), ("eurusd", "EURUSD"), ("XAUUSDmicro", "XAUUSD"), ("GOLD", "XAUUSD"),
    ("GOLDm", "XAUUSD"), ("GOLD.pro", "XAUUSD"), ("SILVER", "XAGUSD"), ("USDZAR", "USDZAR"), ("USDZARm", "USDZAR"),
    ("US30.cash", None), ("USOILm", None), ("BTCUSD_", "BTCUSD"),
])
def test_what_a_broker_name_stands_for(name: str, canonical: str | None) -> None:
    assert canonical_guess(name) == canonical


def test_suffixed_names_map_both_ways() -> None:
    names = SymbolMap.build(["EURUSDm", "GBPUSDm", "XAUUSDm", "US30m"])
    assert names.broker("EURUSD") == "EURUSDm" and names.broker("eurusd") == "EURUSDm"
    assert names.broker("EURUSDm") == "EURUSDm"  # the broker's own name works too
    assert names.canonical("EURUSDm") == "EURUSD" and names.canonical("XAUUSDm") == "XAUUSD"
    assert names.broker("US30M") == "US30m" and names.canonical("US30m") == "US30m"  # unknown: its own name


def test_an_alias_stands_for_the_canonical_metal() -> None:
    names = SymbolMap.build(["EURUSD", "GOLD", "SILVER"])
    assert names.broker("XAUUSD") == "GOLD" and names.broker("xagusd") == "SILVER"
    assert names.canonical("GOLD") == "XAUUSD"
    assert names.broker("GOLD") == "GOLD"


def test_the_plainest_of_several_names_wins_and_the_others_keep_their_own() -> None:
    names = SymbolMap.build(["EURUSD.pro", "EURUSD", "EURUSDm"])
    assert names.broker("EURUSD") == "EURUSD"
    assert names.canonical("EURUSD") == "EURUSD"
    assert names.canonical("EURUSD.pro") == "EURUSD.pro" and names.broker("EURUSD.PRO") == "EURUSD.pro"
    shortest = SymbolMap.build(["EURUSD.pro", "EURUSDm"])
    assert shortest.broker("EURUSD") == "EURUSDm"


def test_an_unknown_symbol_suggests_close_names_from_the_brokers_list() -> None:
    names = SymbolMap.build(["EURUSDm", "EURGBPm", "GBPUSDm", "GOLD", "US30.cash"])
    with pytest.raises(UnknownSymbolError) as info:
        names.resolve("EURUSX", account_id="acc_1")
    error = info.value
    assert isinstance(error, NotFoundError) and error.code == "invalid_symbol"
    assert error.suggestions[0] == "EURUSD" and set(error.suggestions) <= {"EURUSD", "EURGBP", "GBPUSD"}
    assert "did you mean EURUSD" in error.message and "acc_1" in error.message
    assert names.suggestions("XAUUSX") == ["XAUUSD"]  # canonical names are offered, not the broker's GOLD
    assert names.suggestions("ZZZZZZ") == []
    with pytest.raises(UnknownSymbolError, match=r"'ZZZ'$"):
        names.resolve(" ZZZ ")


@pytest.mark.parametrize("value, mode", [
    ("Full", "full"), ("LongOnly", "long_only"), ("SYMBOL_TRADE_MODE_CLOSEONLY", "close_only"),
    ("ShortOnly", "short_only"), ("Disabled", "disabled"), ("SYMBOL_TRADE_MODE_DISABLED", "disabled"),
    ("close_only", "close_only"), ("SomethingNew", "something_new"),
])
def test_trade_modes_are_snake_case(value: str, mode: str) -> None:
    assert trade_mode(value) == mode


def test_pip_size_from_the_instrument_table_or_the_digits() -> None:
    assert pip_size("EURUSD", 5, 0.00001) == 0.0001
    assert pip_size("XAUUSD", 2, 0.01) == 0.1  # the table's, not 1 point
    assert pip_size("USDZAR", 5, 0.00001) == pytest.approx(0.0001)
    assert pip_size("US30", 1, 0.1) == 0.1
