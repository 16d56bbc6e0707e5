"""The /v1 backend's trades are validated once (the wire model) and copied to the port's Trade: the result must be
the one the port's own validation gives (the old two-step path), on varied trades with odd values."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from fxbot.backends import v1_mapping as mapping
from fxbot.domain.broker.enums import Side
from fxbot.domain.broker.models import HistoryPage, Trade
from fxbot.fxsocket import models as wire
from tests.unit.backends.copied_values import assert_copied_equals_validated, numbers, texts, times


def validated(w: wire.Trade) -> Trade:
    """The old path: the port's Trade validated from the wire Trade's values."""
    return Trade(id=w.id, symbol=w.symbol, type=Side(w.type.value), volume=w.volume, profit=w.profit,
                 closed_at=w.closed_at, commission=w.commission, swap=w.swap, open_price=w.open_price,
                 close_price=w.close_price, opened_at=w.opened_at, order_id=w.order_id,
                 position_id=w.position_id, reason=w.reason)


@st.composite
def wire_trades(draw: st.DrawFn) -> dict[str, Any]:
    trade: dict[str, Any] = {"id": draw(texts), "symbol": draw(texts), "type": draw(st.sampled_from(["BUY", "SELL"])),
                             "volume": draw(numbers), "profit": draw(numbers), "closed_at": draw(times)}
    optional = {"commission": numbers, "swap": numbers, "open_price": st.one_of(st.none(), numbers),
                "close_price": st.one_of(st.none(), numbers), "opened_at": st.one_of(st.none(), times),
                "order_id": st.one_of(st.none(), texts), "position_id": st.one_of(st.none(), texts),
                "reason": st.one_of(st.none(), st.sampled_from(["sl", "tp", "stop_out", "manual", "odd"]))}
    for name, values in optional.items():
        if draw(st.booleans()):
            trade[name] = draw(values)
    if draw(st.booleans()):
        trade["unknown_field"] = draw(texts)  # the wire model ignores what it does not know
    return trade


@settings(max_examples=400, deadline=None)
@given(wire_trades())
def test_a_trade_copied_once_equals_the_validated_one(raw: dict[str, Any]) -> None:
    try:
        w = wire.Trade.model_validate(raw)
    except ValidationError:
        return  # refused by the wire model: never reaches the mapping
    fast, slow = mapping.trade(w), validated(w)
    assert_copied_equals_validated(fast, slow)
    assert fast.type is slow.type and isinstance(fast.type, Side)
    assert fast.model_extra is None and fast.__pydantic_private__ is None
    assert fast.ticket == slow.ticket and fast.display_id == slow.display_id


def test_a_copied_trade_is_frozen_like_a_validated_one() -> None:
    w = wire.Trade.model_validate({"id": "1", "symbol": "EURUSD", "type": "SELL", "volume": 1, "profit": -2,
                                   "closed_at": "2026-01-02T03:04:05+02:00"})
    fast = mapping.trade(w)
    with pytest.raises(ValidationError):
        fast.volume = 2.0  # type: ignore[misc]
    assert fast.model_copy(update={"volume": 2.0}).volume == 2.0 and fast.volume == 1.0
    assert fast.closed_at == datetime(2026, 1, 2, 1, 4, 5, tzinfo=UTC) and fast.closed_at.tzinfo is UTC


def test_the_wire_and_port_trades_have_the_same_fields() -> None:
    """The copy takes the wire Trade's fields as they are: a field on one side only must be mapped by hand."""
    assert set(wire.Trade.model_fields) == set(Trade.model_fields)


def test_a_history_page_of_copied_trades_equals_the_validated_page() -> None:
    raw = {"trades": [{"id": str(i), "symbol": "XAUUSD", "type": "BUY", "volume": 0.5, "profit": i * 0.1,
                       "closed_at": f"2026-03-0{1 + i % 9}T10:00:00Z", "reason": "tp"} for i in range(20)],
           "total": 40}
    page = wire.HistoryPage.model_validate(raw)
    assert mapping.history_page(page) == HistoryPage(trades=[validated(t) for t in page.trades], total=40)
