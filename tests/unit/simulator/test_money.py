"""Margin, floating profit and equity in the account currency, checked against hand-computed numbers."""

from __future__ import annotations

from typing import Any

import pytest

from fxbot.simulator.engine import SimEngine
from tests.unit.simulator.sim_support import EUR, T0, USD, make_engine, market


def position(engine: SimEngine, account: str, symbol: str) -> dict[str, Any]:
    (item,) = [p for p in engine.positions(account) if p["symbol"] == symbol]
    return item


def test_eurusd_in_usd_account() -> None:
    engine = make_engine()
    fill = market(engine, USD, "EURUSD", "BUY", 1.0)
    assert fill["price"] == 1.10002  # BUY fills at the ask
    account = engine.account(USD)
    # 1 lot = 100 000 EUR / 100 leverage = 1000 EUR, at mid 1.10001 -> 1100.01 USD
    assert account["margin"] == 1100.01
    engine.set_quote("EURUSD", 1.10102, 1.10104, T0)
    assert position(engine, USD, "EURUSD")["profit"] == 100.00  # (1.10102 - 1.10002) * 100 000
    account = engine.account(USD)
    assert account["margin"] == 1101.03  # 1000 EUR at mid 1.10103
    assert account["equity"] == 10000 + 100 - 3.5  # entry commission already counts in equity
    assert account["profit"] == 96.5
    assert account["free_margin"] == round(10096.5 - 1101.03, 2)
    assert account["margin_level"] == round(10096.5 / 1101.03 * 100, 2)


def test_usdjpy_in_usd_account_converts_yen_through_usdjpy() -> None:
    engine = make_engine()
    market(engine, USD, "USDJPY", "BUY", 1.0)  # at 150.010
    assert engine.account(USD)["margin"] == 1000.00  # base currency is the account currency
    engine.set_quote("USDJPY", 150.510, 150.520, T0)
    # 0.5 * 100 000 = 50 000 JPY, / mid 150.515 = 332.19 USD
    assert position(engine, USD, "USDJPY")["profit"] == 332.19


def test_cross_eurgbp_sell_in_usd_account() -> None:
    engine = make_engine()
    fill = market(engine, USD, "EURGBP", "SELL", 1.0)
    assert fill["price"] == 0.88000  # SELL fills at the bid
    engine.set_quote("EURGBP", 0.87900, 0.87908, T0)
    # SELL closes at the ask: (0.88000 - 0.87908) * 100 000 = 92 GBP, * GBPUSD mid 1.25003 = 115.00 USD
    assert position(engine, USD, "EURGBP")["profit"] == 115.00
    # margin: 1000 EUR * EURUSD mid 1.10001
    assert engine.account(USD)["margin"] == 1100.01


def test_gold_in_usd_account() -> None:
    engine = make_engine()
    market(engine, USD, "XAUUSD", "BUY", 0.1)  # at 2000.25
    # 0.1 lot * 100 oz / 100 leverage = 0.1 oz at mid 2000.125 = 200.01 USD
    assert engine.account(USD)["margin"] == 200.01
    engine.set_quote("XAUUSD", 2010.25, 2010.50, T0)
    assert position(engine, USD, "XAUUSD")["profit"] == 100.00  # 10 USD * 0.1 * 100


def test_eurusd_in_eur_account() -> None:
    engine = make_engine()
    market(engine, EUR, "EURUSD", "BUY", 1.0)
    # base currency = account currency: 100 000 / 30 EUR
    assert engine.account(EUR)["margin"] == 3333.33
    engine.set_quote("EURUSD", 1.10102, 1.10104, T0)
    # 100 USD / mid 1.10103
    assert position(engine, EUR, "EURUSD")["profit"] == round(100 / 1.10103, 2)
    account = engine.account(EUR)
    assert account["equity"] == round(5000 + 100 / 1.10103 - 3.0, 2)


def test_usdjpy_in_eur_account_uses_eurjpy() -> None:
    engine = make_engine()
    market(engine, EUR, "USDJPY", "BUY", 0.1)
    # 10 000 USD / 30 = 333.33 USD, / EURUSD mid 1.10001
    assert engine.account(EUR)["margin"] == round(10000 / 30 / 1.10001, 2)
    engine.set_quote("USDJPY", 150.510, 150.520, T0)
    # 5000 JPY at EURJPY mid 165.005
    assert position(engine, EUR, "USDJPY")["profit"] == round(5000 / 165.005, 2)


def test_gold_in_eur_account_goes_through_usd() -> None:
    engine = make_engine()
    market(engine, EUR, "XAUUSD", "SELL", 0.1)  # at 2000.00
    assert engine.account(EUR)["margin"] == round(0.1 * 100 / 30 * 2000.125 / 1.10001, 2)
    engine.set_quote("XAUUSD", 1989.75, 1990.00, T0)
    # SELL closes at the ask: 10 USD * 10 oz = 100 USD -> EUR at mid 1.10001
    assert position(engine, EUR, "XAUUSD")["profit"] == round(100 / 1.10001, 2)


def test_cross_gbpjpy_in_eur_account() -> None:
    engine = make_engine()
    engine.set_quote("GBPJPY", 187.500, 187.520, T0)
    market(engine, EUR, "GBPJPY", "BUY", 0.5)  # at 187.520
    engine.set_quote("GBPJPY", 187.320, 187.340, T0)
    # (187.320 - 187.520) * 50 000 = -10 000 JPY at EURJPY mid 165.005
    assert position(engine, EUR, "GBPJPY")["profit"] == round(-10000 / 165.005, 2)
    # margin: 50 000 GBP / 30 -> EUR through the EURGBP pair (mid 0.88004)
    assert engine.account(EUR)["margin"] == round(50000 / 30 / 0.88004, 2)


def test_realised_profit_and_commission_move_the_balance() -> None:
    engine = make_engine()
    opened = market(engine, USD, "EURUSD", "BUY", 2.0)
    engine.set_quote("EURUSD", 1.09952, 1.09954, T0)
    answer, events = engine.close_order(USD, opened["id"], None, T0)
    assert answer["status"] == "closed"
    assert answer["close_price"] == 1.09952  # a BUY closes at the bid
    assert answer["profit"] == -100.00  # (1.09952 - 1.10002) * 200 000
    assert answer["commission"] == -14.00  # 3.5 per lot per side
    account = engine.account(USD)
    assert account["balance"] == 10000 - 100 - 14
    assert account["margin"] == 0
    assert account["margin_level"] is None
    assert account["equity"] == account["balance"]
    assert [e.type for e in events] == ["order_closed", "account_update"]
    assert events[1].data["balance"] == pytest.approx(9886.0)
