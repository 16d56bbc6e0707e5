"""Currency conversion through direct, inverse and USD-crossed pairs."""

from __future__ import annotations

import pytest

from fxbot.domain.currency import convert, rate

MIDS = {"EURUSD": 1.10, "USDJPY": 150.0, "GBPUSD": 1.25, "EURJPY": 165.5, "XAUUSD": 2000.0}


def mid(symbol: str) -> float | None:
    return MIDS.get(symbol)


def test_same_currency_is_identity() -> None:
    assert convert(12.5, "usd", "USD", mid) == 12.5


def test_direct_pair() -> None:
    assert convert(100.0, "EUR", "USD", mid) == pytest.approx(110.0)


def test_inverse_pair() -> None:
    assert convert(15000.0, "JPY", "USD", mid) == pytest.approx(100.0)


def test_direct_cross_pair_preferred_over_usd() -> None:
    assert convert(16550.0, "JPY", "EUR", mid) == pytest.approx(100.0)


def test_through_usd() -> None:
    # GBP -> USD (1.25) -> EUR (1/1.10)
    assert convert(110.0, "GBP", "EUR", mid) == pytest.approx(110.0 * 1.25 / 1.10)
    assert convert(1.0, "XAU", "JPY", mid) == pytest.approx(2000.0 * 150.0)


def test_unknown_currency_gives_none() -> None:
    assert convert(1.0, "SEK", "USD", mid) is None
    assert rate("USD", "SEK", mid) is None
    assert rate("SEK", "NOK", mid) is None
