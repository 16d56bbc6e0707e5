"""Unit tests of the pre-trade margin verdict: refused for margin, pending orders warned, near stop-out."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from fxbot.domain.broker import OrderRequest, OrderResult, OrderType, RejectedError
from fxbot.errors import UpstreamRejected, UserError
from fxbot.services.pretrade import PreTradeCard
from fxbot.services.pretrade_margin import largest_fitting_volume, margin_verdict
from fxbot.services.trading import TradingService
from fxbot.services.trading_models import PreparedOrder
from fxbot.storage import Storage
from tests.unit.services.fake_chat_broker import NOW, FakeBrokers, ScriptedBroker


def _card(**changes: object) -> PreTradeCard:
    # The reproduction: the second /buy EURUSD 9 on a 10,000 USD account at 1:100.
    values: dict[str, object] = dict(
        account_id="acc_8xKm2", symbol="EURUSD", order_type=OrderType.BUY, volume=9.0, price=1.08625,
        is_market=True, sl=None, tp=None, sl_pips=None, tp_pips=None, required_margin=9776.25,
        currency="USD", leverage=100, equity=9950.0, free_margin=174.34, margin_level_after=50.9,
        bid=1.08623, ask=1.08625,
    )
    values.update(changes)
    return PreTradeCard(**values)  # type: ignore[arg-type]


def test_a_market_order_short_of_margin_is_refused_with_the_figures() -> None:
    verdict = margin_verdict(_card())
    # 9,776.25 - 174.34 = 9,601.91 short; 174.34 / (9,776.25 / 9) = 0.16 lot fits
    assert verdict.refusal == ("FxSocket will refuse this order for margin: it needs 9,776.25 USD of margin and "
                               "the free margin is 174.34 USD (short by 9,601.91 USD)")
    assert verdict.hint is not None and "at most about 0.16 lot fits" in verdict.hint
    assert verdict.warnings == ()


def test_when_not_even_the_smallest_volume_fits_the_hint_says_close_positions() -> None:
    verdict = margin_verdict(_card(free_margin=5.0))
    assert verdict.hint == "no volume of this order fits the free margin — close positions first (/positions)"
    assert margin_verdict(_card(free_margin=-20.0)).refusal is not None


def test_an_exact_fit_or_a_sub_cent_shortfall_is_not_refused() -> None:
    assert margin_verdict(_card(free_margin=9776.25, margin_level_after=101.0)).refusal is None
    assert margin_verdict(_card(free_margin=9776.246, margin_level_after=101.0)).refusal is None
    assert margin_verdict(_card(free_margin=9776.24, margin_level_after=101.0)).refusal is not None


def test_unknown_margin_gives_no_verdict() -> None:
    assert margin_verdict(_card(required_margin=None, margin_level_after=None)) == margin_verdict(
        _card(required_margin=1.0, margin_level_after=900.0))
    assert largest_fitting_volume(_card(required_margin=None)) is None


def test_a_pending_order_short_of_margin_is_only_warned_about() -> None:
    verdict = margin_verdict(_card(order_type=OrderType.BUY_LIMIT, is_market=False, price=1.08))
    assert verdict.refusal is None
    assert verdict.warnings == ("warning: if this order triggered now it would be cancelled for margin: it needs "
                                "9,776.25 USD of margin and the free margin is 174.34 USD (short by 9,601.91 USD)",)


def test_a_margin_level_within_twice_the_stop_out_level_is_warned_about() -> None:
    # stop-out at 100 %: warn at or under 200 %; 10,000 / (0 + 5,000) = 200 % is within, 201 % is not
    near = margin_verdict(_card(required_margin=5000.0, free_margin=10_000.0, margin_level_after=200.0,
                                stop_out_level=100.0))
    assert near.refusal is None
    assert near.warnings == ("warning: the margin level after this trade, 200.0%, is within 2× of the stop-out "
                             "level 100% — at 100% the broker closes positions by itself",)
    assert margin_verdict(_card(required_margin=5000.0, free_margin=10_000.0, margin_level_after=201.0,
                                stop_out_level=100.0)).warnings == ()


def test_with_the_default_stop_out_the_order_that_fits_is_not_warned_about() -> None:
    # 50 % stop-out: the warning zone (<= 100 %) is exactly "needs more than the free margin"
    fits = _card(required_margin=9900.18, free_margin=10_000.0, margin_level_after=101.0)
    assert margin_verdict(fits).warnings == () and margin_verdict(fits).refusal is None
    assert margin_verdict(_card(margin_level_after=100.0, required_margin=10_000.0, free_margin=10_000.0)
                          ).warnings != ()


async def test_the_service_refuses_to_send_an_order_its_card_judged_short_of_margin(storage: Storage) -> None:
    broker = ScriptedBroker()
    trading = TradingService(storage=storage, brokers=FakeBrokers(broker), clock=lambda: NOW)  # type: ignore[arg-type]
    card = _card()
    prepared = PreparedOrder(card=card, request=OrderRequest(symbol="EURUSD", type=OrderType.BUY, volume=9.0),
                             key_id=1, account_id=None)
    with pytest.raises(UserError, match=re.escape("short by 9,601.91 USD) — nothing was sent")):
        await trading.send_order(prepared)
    assert broker.calls == []


@dataclass
class MarginRefusingBroker(ScriptedBroker):
    """Refuses every order for margin, as FxSocket does when commission tips the free margin under."""

    async def place_order(self, request: OrderRequest, *, account_id: str | None = None) -> OrderResult:
        self._record("place_order", request=request)
        raise RejectedError("0.05 lots of EURUSD need 54.31 USD margin; free margin is 54.20 USD",
                            code="insufficient_margin", status=400)


async def test_a_margin_refusal_the_card_did_not_foresee_is_explained_not_echoed(storage: Storage) -> None:
    broker = MarginRefusingBroker()
    trading = TradingService(storage=storage, brokers=FakeBrokers(broker), clock=lambda: NOW)  # type: ignore[arg-type]
    card = _card(volume=0.05, required_margin=54.31, free_margin=54.35, margin_level_after=101.0)
    prepared = PreparedOrder(card=card, request=OrderRequest(symbol="EURUSD", type=OrderType.BUY, volume=0.05),
                             key_id=1, account_id=None)
    with pytest.raises(UpstreamRejected) as refused:
        await trading.send_order(prepared)
    assert refused.value.message.startswith(
        "FxSocket refused the order for margin — insufficient margin: 0.05 lots of EURUSD need 54.31 USD margin; "
        "free margin is 54.20 USD — nothing was sent; the broker also counts the order's commission")
    assert [name for name, _ in broker.calls] == ["place_order"]  # sent once, never resent
