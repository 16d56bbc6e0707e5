"""The broker's back office: opens and closes positions, fills pending orders, fires SL/TP, stop-out, swap."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fxbot.domain.instruments import InstrumentSpec
from fxbot.simulator.events import SimEvent
from fxbot.simulator.ids import IdMaker
from fxbot.simulator.ledger import STOP_OUT_LEVEL, AccountBook, quote_profit, to_account
from fxbot.simulator.market import Market
from fxbot.simulator.orders import PendingOrder, Position, Trade, lots, price_or_none, side_of
from fxbot.simulator.swap import rollover_nights, swap_points
from fxbot.simulator.triggers import TriggerBook, pending_kind, stop_kind
from fxbot.simulator.wire_time import iso_z

_MAX_TRIGGER_ROUNDS = 4


class Execution:
    """Owns accounts, open positions and pending orders, indexed by id and (for triggers) by symbol."""

    def __init__(self, market: Market, books: dict[str, AccountBook], ids: IdMaker) -> None:
        self.market = market
        self.books = books
        self.ids = ids
        self.positions: dict[str, Position] = {}
        self.orders: dict[str, PendingOrder] = {}
        self.order_positions: dict[str, str] = {}  # ord_ id -> pos_ id of the open position it made
        self.triggers: dict[str, TriggerBook] = {symbol: TriggerBook() for symbol in market.symbols()}
        self._trade_seq = 0

    # --- positions -------------------------------------------------------------------------------
    def open_position(
        self, book: AccountBook, spec: InstrumentSpec, side: str, units: int, order_id: str,
        sl_pts: int | None, tp_pts: int | None, now: datetime, comment: str | None,
    ) -> Position:
        """A new position at the current ask (BUY) or bid (SELL), entry commission charged."""
        price = self.market.price(spec.symbol)
        position = Position(
            id=self.ids.next("pos"), order_id=order_id, account_id=book.id, spec=spec, side=side, units=units,
            open_pts=price.ask if side == "BUY" else price.bid, sl_pts=sl_pts, tp_pts=tp_pts,
            opened_at=now, commission=-round(book.spec.commission_per_lot * units / 100, 2), comment=comment,
        )
        book.add_position(position)
        self.positions[position.id] = position
        self.order_positions[order_id] = position.id
        self.arm_stops(position)
        return position

    def arm_stops(self, position: Position) -> None:
        book = self.triggers[position.symbol]
        for field, level in (("sl", position.sl_pts), ("tp", position.tp_pts)):
            if level is None:
                book.disarm((position.id, field))
            else:
                book.arm((position.id, field), stop_kind(position.side, field), level)

    def close_position(
        self, book: AccountBook, position: Position, units: int, reason: str, now: datetime,
        events: list[SimEvent],
    ) -> tuple[Trade, int]:
        """Close `units` of a position at the current bid (BUY) or ask (SELL); books the trade."""
        spec = position.spec
        price = self.market.price(spec.symbol)
        close_pts = price.bid if position.side == "BUY" else price.ask
        gross = quote_profit(spec, position.side, units, position.open_pts, close_pts)
        profit = round(to_account(gross, spec.quote, book.currency, self.market), 2)
        share = units / position.units
        entry_commission = position.commission * share
        swap_share = position.swap * share
        commission = round(entry_commission - book.spec.commission_per_lot * units / 100, 2)
        swap = round(swap_share, 2)
        book.balance = round(book.balance + profit + commission + swap, 2)
        book.reduce_position(position, units, entry_commission + swap_share)
        remaining = position.units - units
        if remaining > 0:
            position.units = remaining
            position.commission -= entry_commission
            position.swap -= swap_share
        else:
            del self.positions[position.id]
            self.order_positions.pop(position.order_id, None)
            self.triggers[spec.symbol].disarm((position.id, "sl"))
            self.triggers[spec.symbol].disarm((position.id, "tp"))
        self._trade_seq += 1
        trade = Trade(
            id=self.ids.next("trd"), seq=self._trade_seq, order_id=position.order_id,
            position_id=position.id, symbol=spec.symbol, side=position.side, units=units,
            open_price=spec.from_points(position.open_pts), close_price=spec.from_points(close_pts),
            opened_at=position.opened_at, closed_at=now, profit=profit, commission=commission, swap=swap,
            reason=reason,
        )
        book.history.append(trade)
        data: dict[str, Any] = {
            "id": position.order_id, "position_id": position.id, "symbol": spec.symbol, "type": position.side,
            "volume": lots(units), "close_price": trade.close_price, "profit": profit, "reason": reason,
            "commission": commission, "swap": swap, "trade_id": trade.id, "remaining": lots(remaining),
            "account_id": book.id,
        }
        events.append(SimEvent("order_closed", data, book.id, spec.symbol))
        return trade, close_pts

    # --- pending orders --------------------------------------------------------------------------
    def add_pending(self, book: AccountBook, order: PendingOrder) -> None:
        book.pending[order.id] = order
        self.orders[order.id] = order
        self.triggers[order.symbol].arm((order.id, "price"), pending_kind(order.type), order.price_pts)

    def remove_pending(self, book: AccountBook, order: PendingOrder) -> None:
        del book.pending[order.id]
        del self.orders[order.id]
        self.triggers[order.symbol].disarm((order.id, "price"))

    def cancel_pending(
        self, book: AccountBook, order: PendingOrder, reason: str, events: list[SimEvent]
    ) -> None:
        self.remove_pending(book, order)
        data = {"id": order.id, "symbol": order.symbol, "type": order.type, "reason": reason,
                "account_id": book.id}
        events.append(SimEvent("order_cancelled", data, book.id, order.symbol))

    def fill_pending(self, order: PendingOrder, now: datetime, events: list[SimEvent]) -> None:
        """A triggered pending order becomes a position at the current quote, or is cancelled for margin."""
        book = self.books[order.account_id]
        need = book.margin_for(order.spec, order.units, self.market)
        commission = book.spec.commission_per_lot * order.units / 100
        if book.equity(self.market) - book.margin(self.market) - commission < need:
            self.cancel_pending(book, order, "insufficient_margin", events)
            return
        self.remove_pending(book, order)
        side = side_of(order.type)
        position = self.open_position(book, order.spec, side, order.units, order.id, order.sl_pts,
                                      order.tp_pts, now, order.comment)
        spec = order.spec
        data = {
            "id": order.id, "symbol": spec.symbol, "type": order.type, "volume": lots(order.units),
            "price": spec.from_points(position.open_pts), "status": "filled", "position_id": position.id,
            "sl": price_or_none(spec, position.sl_pts), "tp": price_or_none(spec, position.tp_pts),
            "order_price": spec.from_points(order.price_pts), "created_at": iso_z(order.created_at),
            "account_id": book.id,
        }
        events.append(SimEvent("order_filled", data, book.id, spec.symbol))

    # --- market-driven work ----------------------------------------------------------------------
    def run_triggers(self, symbol: str, now: datetime, events: list[SimEvent], touched: set[str]) -> None:
        """Fill pending orders and fire SL/TP that the symbol's current quote has reached."""
        book = self.triggers[symbol]
        if not len(book):
            return
        price = self.market.price(symbol)
        for _ in range(_MAX_TRIGGER_ROUNDS):
            fired = book.fired(price.bid, price.ask)
            if not fired:
                return
            for object_id, field in fired:
                if field == "price":
                    order = self.orders.get(object_id)
                    if order is not None:
                        self.fill_pending(order, now, events)
                        touched.add(order.account_id)
                    continue
                position = self.positions.get(object_id)
                if position is not None:
                    account = self.books[position.account_id]
                    self.close_position(account, position, position.units, field, now, events)
                    touched.add(account.id)

    def stop_out(self, now: datetime, events: list[SimEvent], touched: set[str]) -> None:
        """Close the most losing position of any account at or under the stop-out level, until above it."""
        for book in self.books.values():
            while book.positions:
                level = book.margin_level(self.market)
                if level is None or level > STOP_OUT_LEVEL:
                    break
                worst = min(book.positions.values(),
                            key=lambda p: book.position_profit(p, self.market) + p.swap + p.commission)
                self.close_position(book, worst, worst.units, "stop_out", now, events)
                touched.add(book.id)

    def apply_swap(self, rollover: datetime, touched: set[str]) -> None:
        """Charge or pay swap on every position held over a rollover (three nights on Wednesday)."""
        nights = rollover_nights(rollover)
        for book in self.books.values():
            for position in book.positions.values():
                if position.opened_at >= rollover:
                    continue
                spec = position.spec
                points = swap_points(spec.symbol, position.side) * nights
                amount = points * spec.point * spec.contract_size * position.units / 100
                money = to_account(amount, spec.quote, book.currency, self.market)
                position.swap += money
                book.open_costs += money
                touched.add(book.id)
