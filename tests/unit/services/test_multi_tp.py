"""Multi-TP arithmetic: take-profit legs from tp= and the volume split into whole steps that add up."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fxbot.domain.broker import OrderRequest, OrderResult, OrderType, OutcomeUnknownError, RejectedError
from fxbot.errors import UsageError
from fxbot.services.multi_tp import TpLeg, parse_take_profits, split_volume
from fxbot.services.order_legs import send_legs
from fxbot.services.pretrade import PlainStop, PreTradeCard, StopInput
from fxbot.services.risk_sizing import VolumeLimits
from fxbot.services.trading_models import PreparedOrder
from fxbot.storage import Storage

TABLE = VolumeLimits(0.01, 0.01, 100)


def _level(text: str) -> StopInput:
    return PlainStop(float(text.rstrip("p")), in_pips=text.endswith("p"))


def test_one_level_is_one_leg() -> None:
    assert parse_take_profits("40p", _level) == (TpLeg(PlainStop(40, True), 100.0),)


def test_equal_and_explicit_shares() -> None:
    equal = parse_take_profits("20p,40p,60p", _level)
    assert [leg.share for leg in equal] == pytest.approx([100 / 3] * 3)
    explicit = parse_take_profits("20p:50%, 40p:30%, 1.1:20%", _level)
    assert [(leg.stop.value, leg.share) for leg in explicit] == [(20, 50), (40, 30), (1.1, 20)]


def test_split_rounds_down_and_gives_the_leftover_steps_to_the_first_legs() -> None:
    legs = parse_take_profits("20p,40p,60p", _level)
    assert split_volume(0.3, legs, TABLE) == (0.1, 0.1, 0.1)
    assert split_volume(0.31, legs, TABLE) == (0.11, 0.1, 0.1)
    assert split_volume(1.0, parse_take_profits("1p:50%,2p:30%,3p:20%", _level), VolumeLimits(0.1, 0.1, 50)) == (
        0.5, 0.3, 0.2)
    with pytest.raises(UsageError, match="below the minimum volume"):
        split_volume(0.02, legs, TABLE)


@given(steps=st.integers(min_value=3, max_value=10_000), count=st.integers(min_value=2, max_value=3))
def test_legs_add_up_to_the_volume(steps: int, count: int) -> None:
    legs = tuple(TpLeg(PlainStop(10.0 * (n + 1), True), 100.0 / count) for n in range(count))
    volume = round(steps * 0.01, 2)
    volumes = split_volume(volume, legs, TABLE)
    assert math.isclose(sum(volumes), volume, abs_tol=1e-9)
    assert max(volumes) - min(volumes) <= 0.01 + 1e-9


@pytest.mark.parametrize(("text", "reason"), [
    ("20p:60%,40p:60%", "add up to 120%"),
    ("20p:50%,40p", "every take profit or to none"),
    ("20p,", "empty level"),
    ("20p:abc,40p:50%", "must be a percentage"),
    ("1p,2p,3p,4p,5p,6p", "at most 5"),
])
def test_bad_take_profits(text: str, reason: str) -> None:
    with pytest.raises(UsageError, match=reason):
        parse_take_profits(text, _level)


class _LegBroker:
    """Fills orders until `fail_at` (1-based), which raises `error`; records every order sent."""

    def __init__(self, fail_at: int, error: Exception) -> None:
        self.fail_at, self.error = fail_at, error
        self.sent: list[float] = []

    async def place_order(self, request: OrderRequest, *, account_id: str | None = None) -> OrderResult:
        self.sent.append(request.volume)
        if len(self.sent) == self.fail_at:
            raise self.error
        return OrderResult(id=str(len(self.sent)), symbol=request.symbol, type=request.type, volume=request.volume,
                           price=1.1, status="filled", position_id=str(len(self.sent)),
                           created_at=datetime(2026, 4, 2, tzinfo=UTC))


class _Provider:
    def __init__(self, broker: _LegBroker) -> None:
        self.broker = broker

    async def for_key(self, key_id: int) -> Any:
        return self.broker


def _prepared(volumes: tuple[float, ...]) -> PreparedOrder:
    card = PreTradeCard(account_id="a", symbol="EURUSD", order_type=OrderType.BUY, volume=sum(volumes), price=1.1,
                        is_market=True, sl=None, tp=None, sl_pips=None, tp_pips=None, required_margin=1.0,
                        currency="USD", leverage=100, equity=10_000, free_margin=10_000, margin_level_after=None,
                        bid=1.1, ask=1.1)
    legs = tuple(OrderRequest(symbol="EURUSD", type=OrderType.BUY, volume=v, tp=1.2 + n / 100)
                 for n, v in enumerate(volumes))
    return PreparedOrder(card=card, request=legs[0], key_id=1, account_id=None, legs=legs)


@pytest.mark.parametrize(("error", "unknown"), [
    (RejectedError("market closed", code="market_closed"), False),
    (OutcomeUnknownError("timeout after sending"), True),
])
async def test_a_failed_leg_is_not_resent_and_stops_the_rest(storage: Storage, error: Exception,
                                                             unknown: bool) -> None:
    broker = _LegBroker(fail_at=2, error=error)
    outcomes = await send_legs(storage, _Provider(broker), _prepared((0.1, 0.2, 0.3)))  # type: ignore[arg-type]
    assert broker.sent == [0.1, 0.2]  # the third leg never went out, the second was not resent
    assert outcomes[0].result is not None
    assert outcomes[1].result is None and outcomes[1].outcome_unknown is unknown
    assert outcomes[2].result is None and outcomes[2].error is not None and "not sent" in outcomes[2].error
