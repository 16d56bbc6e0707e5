"""The broker vocabulary's order messages: what to place or change, and what the broker answered."""

from __future__ import annotations

from fxbot.domain.broker.enums import OrderType
from fxbot.domain.broker.models import BrokerModel, Identified, UtcDatetime


class OrderRequest(BrokerModel):
    """An order to place. `price` is needed for pending types and ignored for market ones;
    `stop_limit_price` only for stop-limit types (the limit price placed once `price` trades)."""

    symbol: str
    type: OrderType
    volume: float
    price: float | None = None
    sl: float | None = None
    tp: float | None = None
    comment: str | None = None
    stop_limit_price: float | None = None


class OrderResult(Identified):
    """What placing an order did: `status` is `filled` (then `position_id` is the new position) or
    `pending`. `price` is the fill price, or the trigger price of a pending order."""

    symbol: str
    type: OrderType
    volume: float
    price: float
    status: str
    position_id: str | None = None
    sl: float | None = None
    tp: float | None = None
    created_at: UtcDatetime | None = None


class OrderChanges(BrokerModel):
    """New stops or price for a position or pending order: only the fields given change, and an
    explicit None clears a stop (`OrderChanges(sl=None)` removes the stop loss; `OrderChanges()`
    changes nothing)."""

    sl: float | None = None
    tp: float | None = None
    price: float | None = None

    def requested(self) -> dict[str, float | None]:
        """The fields the caller gave, None meaning "clear": `OrderChanges(sl=None).requested() == {"sl": None}`."""
        return {name: getattr(self, name) for name in ("sl", "tp", "price") if name in self.model_fields_set}


class ModifyResult(Identified):
    """The stops and price after a change; `updated` is False when nothing needed to change."""

    sl: float | None = None
    tp: float | None = None
    updated: bool
    price: float | None = None


class CloseResult(Identified):
    """What closing did: `status` is `closed`, `partially_closed` (then `remaining` lots stay open) or
    `cancelled` (a pending order). `profit` excludes commission and swap; None when not reported."""

    status: str
    close_price: float | None = None
    profit: float | None = None
    remaining: float | None = None
