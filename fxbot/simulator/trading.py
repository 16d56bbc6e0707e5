"""Trading requests (place, modify, close/cancel): validate every rule first, then act through Execution."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from fxbot.domain.instruments import INSTRUMENTS
from fxbot.simulator.errors import SimError
from fxbot.simulator.events import SimEvent
from fxbot.simulator.execution import Execution
from fxbot.simulator.ledger import AccountBook
from fxbot.simulator.market import canonical_symbol
from fxbot.simulator.orders import (
    ORDER_TYPES,
    PENDING_TYPES,
    PendingOrder,
    Position,
    lots,
    price_or_none,
    side_of,
)
from fxbot.simulator.validation import (
    check_pending_price,
    entry_bounds,
    position_bounds,
    price_points,
    stop_points,
    volume_units,
)
from fxbot.simulator.wire_time import iso_z

_MODIFIABLE = frozenset({"sl", "tp", "price"})
_MAX_COMMENT = 128


class TradingDesk:
    """Turns order requests into state changes and events; a refused request changes nothing."""

    def __init__(self, execution: Execution) -> None:
        self.execution = execution
        self.market_closed = False

    def place(
        self, book: AccountBook, *, symbol: str, type: str, volume: float, price: float | None,
        sl: float | None, tp: float | None, comment: str | None, now: datetime, events: list[SimEvent],
    ) -> dict[str, Any]:
        self._check_can_trade(book)
        name = canonical_symbol(symbol)
        if name is None:
            raise SimError(400, "invalid_symbol", f"unknown symbol {symbol!r}")
        order_type = type.strip().upper() if isinstance(type, str) else ""
        if order_type not in ORDER_TYPES:
            raise SimError(400, "bad_request", f"type must be one of {', '.join(ORDER_TYPES)}, got {type!r}")
        if comment is not None and not isinstance(comment, str):
            raise SimError(400, "bad_request", "comment must be a string")
        spec = INSTRUMENTS[name]
        units = volume_units(spec, volume)
        market = self.execution.market
        quote = market.price(name)
        price_pts: int | None = None
        if order_type in PENDING_TYPES:
            if price is None:
                raise SimError(400, "invalid_price", f"a {order_type} order needs a price")
            price_pts = price_points(spec, price, "price", "invalid_price")
            check_pending_price(order_type, price_pts, quote)
        side = side_of(order_type)
        below, above = entry_bounds(price_pts, quote)
        sl_pts, tp_pts = stop_points(spec, side, sl, tp, below, above)
        note = None if comment is None else comment[:_MAX_COMMENT]
        if price_pts is None:
            need = book.margin_for(spec, units, market)
            commission = book.spec.commission_per_lot * units / 100
            free = book.equity(market) - book.margin(market) - commission
            if free < need:
                raise SimError(400, "insufficient_margin",
                               f"{lots(units)} lots of {name} need {need:.2f} {book.currency} margin; "
                               f"free margin is {max(free, 0.0):.2f} {book.currency}")
            order_id = self.execution.ids.next("ord")
            position = self.execution.open_position(
                book, spec, side, units, order_id, sl_pts, tp_pts, now, note
            )
            answer = {
                "id": order_id, "symbol": name, "type": order_type, "volume": lots(units),
                "price": spec.from_points(position.open_pts), "status": "filled", "position_id": position.id,
                "sl": price_or_none(spec, sl_pts), "tp": price_or_none(spec, tp_pts),
                "created_at": iso_z(now),
            }
        else:
            order = PendingOrder(
                id=self.execution.ids.next("ord"), account_id=book.id, spec=spec, type=order_type,
                units=units,
                price_pts=price_pts, sl_pts=sl_pts, tp_pts=tp_pts, created_at=now, comment=note,
            )
            self.execution.add_pending(book, order)
            answer = {
                "id": order.id, "symbol": name, "type": order_type, "volume": lots(units),
                "price": spec.from_points(price_pts), "status": "pending",
                "sl": price_or_none(spec, sl_pts), "tp": price_or_none(spec, tp_pts),
                "created_at": iso_z(now),
            }
        events.append(SimEvent("order_opened", {**answer, "account_id": book.id}, book.id, name))
        return answer

    def modify(
        self, book: AccountBook, order_id: str, changes: Mapping[str, float | None], events: list[SimEvent]
    ) -> dict[str, Any]:
        self._check_connected(book)
        unknown = sorted(set(changes) - _MODIFIABLE)
        if unknown:
            raise SimError(400, "bad_request",
                           f"only sl, tp and price can be changed, not {', '.join(unknown)}")
        if not changes:
            raise SimError(400, "bad_request", "nothing to change: give sl, tp or price")
        target = self._resolve(book, order_id)
        if isinstance(target, Position):
            return self._modify_position(book, order_id, target, changes, events)
        return self._modify_pending(book, order_id, target, changes, events)

    def close(
        self, book: AccountBook, order_id: str, volume: float | None, now: datetime, events: list[SimEvent]
    ) -> dict[str, Any]:
        self._check_can_trade(book)
        target = self._resolve(book, order_id)
        if isinstance(target, PendingOrder):
            if volume is not None:
                raise SimError(400, "bad_request", f"{order_id} is a pending order: it is cancelled whole")
            self.execution.cancel_pending(book, target, "manual", events)
            return {"id": order_id, "status": "cancelled"}
        units = target.units if volume is None else volume_units(target.spec, volume)
        if units > target.units:
            raise SimError(400, "invalid_volume",
                           f"cannot close {lots(units)} lots: position {target.id} "
                           f"holds {lots(target.units)}")
        remaining = target.units - units
        trade, close_pts = self.execution.close_position(book, target, units, "manual", now, events)
        answer: dict[str, Any] = {
            "id": order_id, "status": "partially_closed" if remaining else "closed",
            "close_price": target.spec.from_points(close_pts), "profit": trade.profit,
            "volume": lots(units), "position_id": target.id, "trade_id": trade.id,
            "commission": trade.commission, "swap": trade.swap,
        }
        if remaining:
            answer["remaining"] = lots(remaining)
        return answer

    # --- internals -------------------------------------------------------------------------------
    def _modify_position(
        self, book: AccountBook, given_id: str, position: Position, changes: Mapping[str, float | None],
        events: list[SimEvent],
    ) -> dict[str, Any]:
        if "price" in changes:
            raise SimError(400, "bad_request", "price can only be changed on a pending order")
        spec = position.spec
        below, above = position_bounds(position.side, self.execution.market.price(spec.symbol))
        new_sl, new_tp = stop_points(spec, position.side, changes.get("sl"), changes.get("tp"), below, above)
        position.sl_pts = new_sl if "sl" in changes else position.sl_pts
        position.tp_pts = new_tp if "tp" in changes else position.tp_pts
        self.execution.arm_stops(position)
        sl, tp = price_or_none(spec, position.sl_pts), price_or_none(spec, position.tp_pts)
        data = {"id": position.order_id, "position_id": position.id, "symbol": spec.symbol,
                "sl": sl, "tp": tp, "price": spec.from_points(position.open_pts), "account_id": book.id}
        events.append(SimEvent("order_modified", data, book.id, spec.symbol))
        return {"id": given_id, "sl": sl, "tp": tp, "updated": True}

    def _modify_pending(
        self, book: AccountBook, given_id: str, order: PendingOrder, changes: Mapping[str, float | None],
        events: list[SimEvent],
    ) -> dict[str, Any]:
        spec = order.spec
        price_pts = order.price_pts
        if "price" in changes:
            price_pts = price_points(spec, changes["price"], "price", "invalid_price")
            check_pending_price(order.type, price_pts, self.execution.market.price(spec.symbol))
        sl = changes["sl"] if "sl" in changes else price_or_none(spec, order.sl_pts)
        tp = changes["tp"] if "tp" in changes else price_or_none(spec, order.tp_pts)
        sl_pts, tp_pts = stop_points(spec, side_of(order.type), sl, tp, price_pts, price_pts)
        self.execution.remove_pending(book, order)
        order.price_pts, order.sl_pts, order.tp_pts = price_pts, sl_pts, tp_pts
        self.execution.add_pending(book, order)
        price = spec.from_points(price_pts)
        out_sl, out_tp = price_or_none(spec, sl_pts), price_or_none(spec, tp_pts)
        data = {"id": order.id, "symbol": spec.symbol, "sl": out_sl, "tp": out_tp, "price": price,
                "account_id": book.id}
        events.append(SimEvent("order_modified", data, book.id, spec.symbol))
        return {"id": given_id, "sl": out_sl, "tp": out_tp, "updated": True, "price": price}

    def _resolve(self, book: AccountBook, order_id: str) -> Position | PendingOrder:
        key = order_id.strip() if isinstance(order_id, str) else ""
        if key in book.pending:
            return book.pending[key]
        if key in book.positions:
            return book.positions[key]
        position_id = self.execution.order_positions.get(key)
        if position_id is not None and position_id in book.positions:
            return book.positions[position_id]
        raise SimError(404, "not_found",
                       f"no open position or pending order {order_id!r} in account {book.id}")

    def _check_connected(self, book: AccountBook) -> None:
        if book.status == "disconnected":
            raise SimError(400, "bad_request",
                           f"account {book.id} is disconnected from its trading terminal; nothing was done")

    def _check_can_trade(self, book: AccountBook) -> None:
        self._check_connected(book)
        if self.market_closed:
            raise SimError(400, "market_closed", "the market is closed; nothing was done")
