"""Broker-fact checks on an order: the broker's volume limits and step, and its own required margin on the card."""

from __future__ import annotations

from dataclasses import replace

import pytest

from fxbot.domain.broker import BrokerError, MarginEstimate, OrderRequest, OrderType, UnreachableError
from fxbot.errors import UsageError
from fxbot.services.broker_checks import check_broker_volume, with_broker_margin
from fxbot.services.pretrade import PreTradeCard
from fxbot.services.risk_sizing import VolumeLimits

LIMITS = VolumeLimits(min=0.1, step=0.1, max=50.0)  # a broker stricter than fxbot's table (0.01 / 0.01 / 100)
REQUEST = OrderRequest(symbol="EURUSD", type=OrderType.BUY, volume=0.5)
CARD = PreTradeCard(account_id="acc", symbol="EURUSD", order_type=OrderType.BUY, volume=0.5, price=1.1, is_market=True,
                    sl=None, tp=None, sl_pips=None, tp_pips=None, required_margin=550.0, currency="USD", leverage=100,
                    equity=10_000.0, free_margin=9_000.0, margin_level_after=None, bid=1.09998, ask=1.1)


@pytest.mark.parametrize("volume", [0.1, 0.5, 1.2, 50.0])
def test_volumes_on_the_brokers_grid_pass(volume: float) -> None:
    check_broker_volume("EURUSD", volume, LIMITS)


@pytest.mark.parametrize("volume, why", [(0.05, "outside 0.1-50 lots"), (60.0, "outside 0.1-50 lots"),
                                         (0.15, "not a multiple of this broker's 0.1-lot step")])
def test_volumes_off_the_brokers_grid_are_refused_with_an_example_that_fits(volume: float, why: str) -> None:
    with pytest.raises(UsageError) as refused:
        check_broker_volume("EURUSD", volume, LIMITS)
    assert why in str(refused.value) and refused.value.example == "/buy EURUSD 0.1"


class MarginBroker:
    def __init__(self, answer: MarginEstimate | BrokerError) -> None:
        self.answer = answer

    async def calc_margin(self, request: OrderRequest, *, account_id: str | None = None) -> MarginEstimate:
        if isinstance(self.answer, BrokerError):
            raise self.answer
        return self.answer


def estimate(margin: float, currency: str = "USD") -> MarginEstimate:
    return MarginEstimate(symbol="EURUSD", type=OrderType.BUY, volume=0.5, price=1.1, margin=margin, currency=currency)


async def test_the_brokers_margin_replaces_the_estimate_and_the_level_after_follows() -> None:
    card = await with_broker_margin(MarginBroker(estimate(600.0)), CARD, REQUEST, "acc")
    assert card.margin_from_broker and card.required_margin == 600.0
    # margin in use = equity - free margin = 1,000; level after = 10,000 / (1,000 + 600) = 625 %
    assert card.margin_level_after == pytest.approx(625.0)


@pytest.mark.parametrize("broker", [MarginBroker(UnreachableError("down", write=False)),
                                    MarginBroker(estimate(600.0, currency="EUR")), object()])
async def test_the_estimate_stays_when_the_broker_cannot_say(broker: object) -> None:
    assert await with_broker_margin(broker, CARD, REQUEST, "acc") == replace(CARD)
