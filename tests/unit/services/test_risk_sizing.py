"""Risk sizing arithmetic: hand-checked lots for each symbol class and both account currencies, and a
property test that the risk realised at the stop never exceeds the risk asked."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fxbot.domain.instruments import INSTRUMENTS
from fxbot.errors import UsageError
from fxbot.services.risk_sizing import (
    RiskInput,
    VolumeLimits,
    floor_to_step,
    parse_risk,
    risk_per_lot,
    size_order,
)

MIDS = {"EURUSD": 1.10, "GBPUSD": 1.25, "USDJPY": 150.0, "EURJPY": 165.0, "EURGBP": 0.88, "XAUUSD": 2300.0,
        "USDCHF": 0.90, "GBPJPY": 187.5}
TABLE = VolumeLimits(0.01, 0.01, 100.0)


def _per_lot(symbol: str, pips: float, account: str) -> float:
    spec = INSTRUMENTS[symbol]
    found = risk_per_lot(pips * spec.pip_size, spec.contract_size, spec.quote, account, MIDS.get)
    assert found is not None
    return found


@pytest.mark.parametrize(("symbol", "account", "per_lot", "lots"), [
    ("EURUSD", "USD", 200.0, 0.50),            # 20 pips × 10 USD/pip
    ("USDJPY", "USD", 20_000 / 150.0, 0.75),   # 0.20 JPY × 100k = 20,000 JPY = 133.33 USD → 100/133.33
    ("EURGBP", "USD", 200 * 1.25, 0.40),       # a cross: 200 GBP at GBPUSD 1.25
    ("XAUUSD", "USD", 200.0, 0.50),            # gold: 20 pips = 2.00 USD × 100 oz
    ("EURUSD", "EUR", 200 / 1.10, 0.55),       # EUR account: 200 USD = 181.82 EUR
    ("USDJPY", "EUR", 20_000 / 165.0, 0.82),   # JPY → EUR through EURJPY: 121.21 EUR/lot
    ("GBPJPY", "EUR", 20_000 / 165.0, 0.82),
    ("XAUUSD", "EUR", 200 / 1.10, 0.55),
    ("EURGBP", "EUR", 200 / 0.88, 0.44),       # GBP → EUR through EURGBP: 227.27 EUR/lot
])
def test_one_percent_of_10k_with_a_20_pip_stop(symbol: str, account: str, per_lot: float, lots: float) -> None:
    found = _per_lot(symbol, 20, account)
    assert found == pytest.approx(per_lot)
    sizing = size_order(RiskInput(1, "balance"), balance=10_000, equity=9_000, currency=account, per_lot=found,
                        limits=TABLE)
    assert sizing.asked == pytest.approx(100.0)
    assert sizing.volume == lots
    assert sizing.realised <= 100.0
    assert sizing.realised == pytest.approx(lots * per_lot)


def test_equity_and_money_bases() -> None:
    per_lot = _per_lot("EURUSD", 20, "USD")
    eq = size_order(parse_risk("0.5%eq"), balance=10_000, equity=8_000, currency="USD", per_lot=per_lot, limits=TABLE)
    assert (eq.asked, eq.volume) == (40.0, 0.20)
    assert eq.percent_of_balance == pytest.approx(0.4)
    money = size_order(parse_risk("50"), balance=10_000, equity=8_000, currency="USD", per_lot=per_lot, limits=TABLE)
    assert (money.asked, money.volume) == (50.0, 0.25)


def test_reward_risk_is_carried() -> None:
    sizing = size_order(RiskInput(1, "balance"), balance=10_000, equity=10_000, currency="USD", per_lot=200,
                        limits=TABLE, reward_risk=2.0)
    assert sizing.reward_risk == 2.0


def test_rounding_that_moves_the_risk_more_than_ten_percent_is_flagged() -> None:
    coarse = size_order(RiskInput(100, "money"), balance=10_000, equity=10_000, currency="USD", per_lot=1_700,
                        limits=TABLE)
    assert coarse.volume == 0.05 and coarse.realised == pytest.approx(85.0) and coarse.rounding_changed
    fine = size_order(RiskInput(100, "money"), balance=10_000, equity=10_000, currency="USD", per_lot=200,
                      limits=TABLE)
    assert not fine.rounding_changed


def test_broker_step_and_max_are_respected() -> None:
    sizing = size_order(RiskInput(110, "money"), balance=10_000, equity=10_000, currency="USD", per_lot=200,
                        limits=VolumeLimits(0.1, 0.1, 100))
    assert sizing.volume == 0.5  # 0.55 rounded DOWN to a step of 0.1
    capped = size_order(RiskInput(100, "balance"), balance=10**9, equity=10**9, currency="USD", per_lot=200,
                        limits=VolumeLimits(0.01, 0.01, 50))
    assert capped.volume == 50 and capped.rounding_changed


def test_below_the_minimum_volume_is_refused_not_rounded_up() -> None:
    with pytest.raises(UsageError, match=r"below the minimum of 0\.01 lot"):
        size_order(RiskInput(1, "money"), balance=10_000, equity=10_000, currency="USD", per_lot=200, limits=TABLE)


def test_a_stop_at_the_entry_is_refused() -> None:
    with pytest.raises(UsageError, match="stop is at the entry"):
        size_order(RiskInput(1, "balance"), balance=10_000, equity=10_000, currency="USD", per_lot=0, limits=TABLE)


@pytest.mark.parametrize(("text", "expected"), [
    ("1%", RiskInput(1, "balance")), ("0.5%eq", RiskInput(0.5, "equity")), ("0.5%EQ", RiskInput(0.5, "equity")),
    ("50", RiskInput(50, "money")), ("12.5", RiskInput(12.5, "money")), ("100%", RiskInput(100, "balance")),
])
def test_parse_risk(text: str, expected: RiskInput) -> None:
    assert parse_risk(text) == expected


@pytest.mark.parametrize(("text", "reason"), [
    ("0", "more than zero"), ("0%", "more than zero"), ("-1%", "more than zero"), ("101%", "more than 100"),
    ("abc", "not a percentage"), ("1%%", "not a percentage"),
])
def test_parse_risk_refusals(text: str, reason: str) -> None:
    with pytest.raises(UsageError, match=reason):
        parse_risk(text)


def test_floor_to_step_never_rounds_up() -> None:
    assert floor_to_step(0.0699999, TABLE) == 0.06
    assert floor_to_step(0.07, TABLE) == 0.07
    assert floor_to_step(1.0, VolumeLimits(0.1, 0.1, 10)) == 1.0


@settings(max_examples=300, deadline=None)
@given(
    symbol=st.sampled_from(sorted(INSTRUMENTS)),
    account=st.sampled_from(["USD", "EUR"]),
    balance=st.floats(min_value=100, max_value=10_000_000),
    percent=st.floats(min_value=0.01, max_value=100),
    pips=st.floats(min_value=0.5, max_value=5_000),
    step=st.sampled_from([0.01, 0.1, 1.0]),
)
def test_realised_risk_never_exceeds_the_asked_risk(symbol: str, account: str, balance: float, percent: float,
                                                    pips: float, step: float) -> None:
    mids = {**MIDS, "AUDUSD": 0.66, "USDCAD": 1.36, "NZDUSD": 0.60, "EURCHF": 0.96, "XAGUSD": 27.0}
    spec = INSTRUMENTS[symbol]
    per_lot = risk_per_lot(pips * spec.pip_size, spec.contract_size, spec.quote, account, mids.get)
    assert per_lot is not None
    limits = VolumeLimits(step, step, 100.0)
    try:
        sizing = size_order(RiskInput(percent, "balance"), balance=balance, equity=balance, currency=account,
                            per_lot=per_lot, limits=limits)
    except UsageError:
        assert balance * percent / 100 < step * per_lot  # refused only when the minimum risks too much
        return
    assert sizing.realised <= sizing.asked * (1 + 1e-9)
    assert sizing.volume * per_lot <= sizing.asked * (1 + 1e-9)
    assert limits.min - 1e-9 <= sizing.volume <= limits.max + 1e-9
    assert math.isclose(sizing.volume / step, round(sizing.volume / step), abs_tol=1e-6)
