"""Stop-limit trading of the SDK face: place, modify, cancel, and turn triggered ones into engine limit orders."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fxbot.domain.instruments import INSTRUMENTS
from fxbot.simulator.errors import SimError
from fxbot.simulator.orders import lots
from fxbot.simulator.sdk_retcodes import DONE, INVALID_PRICE, MARKET_CLOSED, NO_CHANGES, PLACED, order_result
from fxbot.simulator.sdk_retcodes import RETCODE_BY_ENGINE_CODE as RETCODES
from fxbot.simulator.sdk_stoplimit import StopLimitOrder, stop_limit_problem
from fxbot.simulator.validation import price_points, stop_points, volume_units

if TYPE_CHECKING:
    from fxbot.simulator.sdk_face import SdkFace

log = logging.getLogger(__name__)


class StopLimitDesk:
    """BuyStopLimit/SellStopLimit orders: the face holds them until the stop trades, then the engine takes over."""

    def __init__(self, face: SdkFace) -> None:
        self.face = face

    def place(
        self, account_id: str, symbol: str, operation: str, volume: float, stop: float, limit: float,
        sl: float | None, tp: float | None, magic: int, comment: str,
    ) -> dict[str, Any]:
        face = self.face
        spec = INSTRUMENTS[symbol]
        side = "BUY" if operation.startswith("Buy") else "SELL"
        bid, ask = face.bid_ask(symbol)
        if face.engine.market_closed:
            return order_result(MARKET_CLOSED, bid=bid, ask=ask, comment="the market is closed; nothing was done")
        try:
            units = volume_units(spec, volume)
            stop_pts = price_points(spec, stop, "price", "invalid_price")
            limit_pts = price_points(spec, limit, "stopLimitPrice", "invalid_price")
            problem = stop_limit_problem(side, stop_pts, limit_pts, spec.to_points(bid), spec.to_points(ask))
            if problem is not None:
                raise SimError(400, "invalid_price", f"{problem} (bid {bid}, ask {ask})")
            sl_pts, tp_pts = stop_points(spec, side, sl, tp, limit_pts, limit_pts)
        except SimError as exc:
            return order_result(RETCODES.get(exc.code, INVALID_PRICE), bid=bid, ask=ask, comment=exc.message)
        order = StopLimitOrder(
            ticket=face.book.tickets.new_order(), account_id=account_id, spec=spec, side=side, units=units,
            stop_pts=stop_pts, limit_pts=limit_pts, sl_pts=sl_pts, tp_pts=tp_pts, created_at=face.state.now(),
            magic=magic, comment=comment,
        )  # fmt: skip
        face.book.stop_limits.add(order)
        face.orders_changed(account_id)
        return order_result(PLACED, order=order.ticket, volume=lots(units), price=stop, bid=bid, ask=ask)

    def modify(
        self, account_id: str, order: StopLimitOrder, sl: float | None, tp: float | None,
        stop: float | None, limit: float | None,
    ) -> dict[str, Any]:
        face, spec = self.face, order.spec
        bid, ask = face.bid_ask(order.symbol)
        stop_pts = order.stop_pts if stop is None else spec.to_points(stop)
        limit_pts = order.limit_pts if limit is None else spec.to_points(limit)
        sl_value = _current(spec.from_points, order.sl_pts) if sl is None else (sl or None)
        tp_value = _current(spec.from_points, order.tp_pts) if tp is None else (tp or None)
        try:
            if stop is not None:
                stop_pts = price_points(spec, stop, "price", "invalid_price")
            if limit is not None:
                limit_pts = price_points(spec, limit, "stopLimitPrice", "invalid_price")
            if (stop_pts, limit_pts) != (order.stop_pts, order.limit_pts):
                problem = stop_limit_problem(order.side, stop_pts, limit_pts, spec.to_points(bid), spec.to_points(ask))
                if problem is not None:
                    raise SimError(400, "invalid_price", problem)
            sl_pts, tp_pts = stop_points(spec, order.side, sl_value, tp_value, limit_pts, limit_pts)
        except SimError as exc:
            return order_result(RETCODES.get(exc.code, INVALID_PRICE), bid=bid, ask=ask, comment=exc.message)
        wanted = (stop_pts, limit_pts, sl_pts, tp_pts)
        price = spec.from_points(stop_pts)
        if wanted == (order.stop_pts, order.limit_pts, order.sl_pts, order.tp_pts):
            return order_result(NO_CHANGES, order=order.ticket, volume=lots(order.units), price=price, bid=bid, ask=ask)
        order.stop_pts, order.limit_pts, order.sl_pts, order.tp_pts = wanted
        face.orders_changed(account_id)
        return order_result(DONE, order=order.ticket, volume=lots(order.units), price=price, bid=bid, ask=ask)

    def cancel(self, account_id: str, order: StopLimitOrder) -> dict[str, Any]:
        face = self.face
        bid, ask = face.bid_ask(order.symbol)
        if face.engine.market_closed:
            return order_result(MARKET_CLOSED, bid=bid, ask=ask, comment="the market is closed; nothing was done")
        face.book.stop_limits.remove(order.ticket)
        face.orders_changed(account_id)
        return order_result(DONE, order=order.ticket, volume=lots(order.units),
                            price=order.spec.from_points(order.stop_pts), bid=bid, ask=ask)  # fmt: skip

    def trigger(self, symbols: list[str]) -> None:
        """Place the limit order of every stop-limit whose stop price the current quote has reached."""
        face = self.face
        for symbol in dict.fromkeys(symbols):
            for order in face.book.stop_limits.of_symbol(symbol):
                bid, ask = face.bid_ask(symbol)
                if order.triggered(order.spec.to_points(bid), order.spec.to_points(ask)):
                    self._activate(order)

    def _activate(self, order: StopLimitOrder) -> None:
        face, spec = self.face, order.spec
        try:
            answer, events = face.engine.place_order(
                order.account_id, symbol=order.symbol, type=order.limit_type, volume=lots(order.units),
                price=spec.from_points(order.limit_pts), sl=_current(spec.from_points, order.sl_pts),
                tp=_current(spec.from_points, order.tp_pts), comment=order.comment or None, now=face.state.now(),
            )  # fmt: skip
        except SimError as exc:
            if exc.code == "market_closed":
                return  # stays armed; the next quote after the market opens tries again
            log.info("stop-limit order %s cancelled: %s", order.ticket, exc.message)
            face.book.stop_limits.remove(order.ticket)
            face.orders_changed(order.account_id)
            return
        face.book.stop_limits.remove(order.ticket)
        order_id = str(answer["id"])
        face.book.tickets.bind(order.ticket, order_id)
        note = face.book.note(order_id)
        note.magic, note.comment = order.magic, order.comment
        face.state.publish(events)


def _current(from_points: Callable[[int], float], points: int | None) -> float | None:
    return None if points is None else from_points(points)
