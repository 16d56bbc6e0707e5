"""Terminal trading calls of the SDK face (OrderSend, OrderModify, OrderClose, CloseAll) over the shared engine."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fxbot.domain.instruments import INSTRUMENTS
from fxbot.simulator.errors import SimError
from fxbot.simulator.sdk_errors import invalid
from fxbot.simulator.sdk_parsing import check_fields, flag, integer, number, text
from fxbot.simulator.sdk_positions import OpenRow, find_row, open_rows
from fxbot.simulator.sdk_retcodes import (
    DONE,
    INVALID_REQUEST,
    NO_CHANGES,
    PLACED,
    RETCODE_BY_ENGINE_CODE,
    order_result,
)
from fxbot.simulator.sdk_stoplimit_desk import StopLimitDesk
from fxbot.simulator.sdk_wire import STOP_LIMIT_OPERATIONS, TYPE_BY_OPERATION, parse_operation

if TYPE_CHECKING:
    from fxbot.simulator.sdk_face import SdkFace

SEND_FIELDS = (
    "symbol", "operation", "volume", "price", "slippage", "stopLoss", "takeProfit", "stopLimitPrice",
    "expiration", "comment", "expertId",
)  # fmt: skip
MODIFY_FIELDS = ("ticket", "stopLoss", "takeProfit", "price", "stopLimitPrice", "expiration")
CLOSE_FIELDS = ("ticket", "volume", "slippage")
CLOSE_ALL_FIELDS = ("symbol", "magic", "deletePending")
_PENDING_OPERATIONS = ("BuyLimit", "SellLimit", "BuyStop", "SellStop", *STOP_LIMIT_OPERATIONS)


def _no_expiration(body: dict[str, Any]) -> None:
    if body.get("expiration") not in (None, ""):
        raise invalid("expiration is not supported by the simulator; omit it for a good-till-cancelled order")


def _level(value: float | None) -> float | None:
    """0 means "no SL/TP" on the terminal."""
    return None if value is None or value == 0 else value


class TerminalDesk:
    """Runs terminal trading requests for one face; a refused request changes nothing."""

    def __init__(self, face: SdkFace) -> None:
        self.face = face
        self.stop_limits = StopLimitDesk(face)

    # --- OrderSend -------------------------------------------------------------------------------
    def order_send(self, account_id: str, body: dict[str, Any]) -> dict[str, Any]:
        face = self.face
        check_fields(body, SEND_FIELDS, "an OrderSend request")
        name = text(body, "symbol", required=True, max_length=64)
        assert name is not None
        symbol = face.names.canonical(name)
        if symbol is None:
            raise invalid(f"unknown symbol {name!r}; GET /symbols lists this account's symbols")
        operation = parse_operation(body.get("operation"))
        if operation is None:
            raise invalid(f"field 'operation' must be one of Buy, Sell, BuyLimit, SellLimit, BuyStop, SellStop, "
                          f"BuyStopLimit, SellStopLimit, not {body.get('operation')!r}")  # fmt: skip
        volume = number(body, "volume", required=True, positive=True)
        price = _level(number(body, "price"))
        sl, tp = _level(number(body, "stopLoss")), _level(number(body, "takeProfit"))
        stop_limit = number(body, "stopLimitPrice")
        integer(body, "slippage")
        comment = text(body, "comment", max_length=128) or ""
        magic = integer(body, "expertId") or 0
        _no_expiration(body)
        assert volume is not None
        if operation in _PENDING_OPERATIONS and price is None:
            raise invalid(f"a {operation} order needs a price greater than 0")
        if operation in STOP_LIMIT_OPERATIONS:
            if not stop_limit:
                raise invalid(f"a {operation} order needs a stopLimitPrice greater than 0")
            assert price is not None
            return self.stop_limits.place(account_id, symbol, operation, volume, price, stop_limit, sl, tp,
                                          magic, comment)  # fmt: skip
        return self.place(account_id, symbol, TYPE_BY_OPERATION[operation], volume, price, sl, tp, magic, comment)

    def place(
        self, account_id: str, symbol: str, engine_type: str, volume: float, price: float | None,
        sl: float | None, tp: float | None, magic: int, comment: str,
    ) -> dict[str, Any]:
        """Place through the engine (both faces see it); the OrderResult."""
        face = self.face
        pending = engine_type not in ("BUY", "SELL")
        try:
            answer, events = face.engine.place_order(
                account_id, symbol=symbol, type=engine_type, volume=volume, price=price if pending else None,
                sl=sl, tp=tp, comment=comment or None, now=face.state.now(),
            )  # fmt: skip
        except SimError as exc:
            return self.rejected(exc, symbol)
        note = face.book.note(str(answer["id"]))
        note.magic, note.comment = magic, comment
        face.state.publish(events)
        ticket = face.book.tickets.order(str(answer["id"]))
        bid, ask = face.bid_ask(symbol)
        if answer["status"] != "filled":
            return order_result(PLACED, order=ticket, volume=answer["volume"], price=answer["price"], bid=bid, ask=ask)
        deal = face.book.deals.opening(account_id, ticket)
        deal_ticket = 0 if deal is None or face.mt4(account_id) else deal.ticket
        return order_result(DONE, deal=deal_ticket, order=ticket, volume=answer["volume"], price=answer["price"],
                            bid=bid, ask=ask)  # fmt: skip

    # --- OrderModify -----------------------------------------------------------------------------
    def order_modify(self, account_id: str, body: dict[str, Any]) -> dict[str, Any]:
        check_fields(body, MODIFY_FIELDS, "an OrderModify request")
        ticket = integer(body, "ticket", required=True, minimum=1)
        assert ticket is not None
        _no_expiration(body)
        sl, tp = number(body, "stopLoss"), number(body, "takeProfit")
        price = number(body, "price", positive=True) if body.get("price") is not None else None
        stop_limit = number(body, "stopLimitPrice", positive=True) if body.get("stopLimitPrice") is not None else None
        row = self._row(account_id, ticket)
        if row.stop_limit is not None:
            return self.stop_limits.modify(account_id, row.stop_limit, sl, tp, price, stop_limit)
        if stop_limit is not None:
            return self.rejected(SimError(400, "bad_request", f"ticket {ticket} is not a stop-limit order"), row.symbol)
        assert row.record is not None and row.order_id is not None
        spec = INSTRUMENTS[row.symbol]
        changes: dict[str, float | None] = {}
        for field, value in (("sl", sl), ("tp", tp)):
            if value is not None and not _same(spec.digits, row.record.get(field), _level(value)):
                changes[field] = _level(value)
        if price is not None:
            if row.kind == "position":
                return self.rejected(SimError(400, "bad_request", "price can only be changed on a pending order"),
                                     row.symbol)  # fmt: skip
            if not _same(spec.digits, row.record.get("price"), price):
                changes["price"] = price
        bid, ask = self.face.bid_ask(row.symbol)
        current_price = float(row.record.get("open_price", row.record.get("price", 0.0)))
        if not changes:
            return order_result(NO_CHANGES, order=ticket, volume=row.volume, price=current_price, bid=bid, ask=ask)
        face = self.face
        try:
            answer, events = face.engine.modify_order(account_id, row.order_id, changes, face.state.now())
        except SimError as exc:
            return self.rejected(exc, row.symbol)
        face.state.publish(events)
        new_price = float(answer.get("price", current_price))
        return order_result(DONE, order=ticket, volume=row.volume, price=new_price, bid=bid, ask=ask)

    # --- OrderClose / CloseAll -------------------------------------------------------------------
    def order_close(self, account_id: str, body: dict[str, Any]) -> dict[str, Any]:
        check_fields(body, CLOSE_FIELDS, "an OrderClose request")
        ticket = integer(body, "ticket", required=True, minimum=1)
        volume = _level(number(body, "volume"))
        integer(body, "slippage")
        assert ticket is not None
        return self.close_row(account_id, self._row(account_id, ticket), volume)

    def close_row(self, account_id: str, row: OpenRow, volume: float | None) -> dict[str, Any]:
        """Close a position (all, or `volume` lots of it) or delete a pending order; the OrderResult."""
        face = self.face
        if row.stop_limit is not None:
            return self.stop_limits.cancel(account_id, row.stop_limit)
        assert row.order_id is not None
        pending = row.kind == "pending"
        try:
            answer, events = face.engine.close_order(
                account_id, row.order_id, None if pending else volume, face.state.now()
            )
        except SimError as exc:
            return self.rejected(exc, row.symbol)
        face.state.publish(events)
        bid, ask = face.bid_ask(row.symbol)
        if pending:
            assert row.record is not None
            return order_result(DONE, order=row.ticket, volume=row.volume, price=float(row.record["price"]),
                                bid=bid, ask=ask)  # fmt: skip
        deal = face.book.deals.by_trade(str(answer.get("trade_id")))
        deal_ticket = 0 if deal is None or face.mt4(account_id) else deal.ticket
        return order_result(DONE, deal=deal_ticket, order=row.ticket, volume=float(answer["volume"]),
                            price=float(answer["close_price"]), bid=bid, ask=ask)  # fmt: skip

    def close_all(self, account_id: str, body: dict[str, Any]) -> dict[str, Any]:
        check_fields(body, CLOSE_ALL_FIELDS, "a CloseAll request")
        name = text(body, "symbol", max_length=64)
        magic = integer(body, "magic")
        delete_pending = flag(body, "deletePending")
        face = self.face
        results: list[dict[str, Any]] = []
        for row in open_rows(face, account_id):
            if (row.kind == "pending" and not delete_pending) or (magic is not None and row.magic != magic):
                continue
            if name is not None and face.names.broker(row.symbol) != name:
                continue
            result = self.close_row(account_id, row, None)
            results.append({
                "ticket": row.ticket, "kind": row.kind, "success": result["success"], "retcode": result["retcode"],
                "retcodeDescription": result["retcodeDescription"],
            })  # fmt: skip
        closed = sum(1 for result in results if result["success"])
        return {"requested": len(results), "closed": closed, "failed": len(results) - closed, "results": results}

    # --- shared ----------------------------------------------------------------------------------
    def rejected(self, exc: SimError, symbol: str) -> dict[str, Any]:
        """The broker's refusal of a well-formed request: HTTP 200, success false, the retcode and why."""
        if exc.status == 404:
            raise invalid(exc.message)
        bid, ask = self.face.bid_ask(symbol)
        retcode = RETCODE_BY_ENGINE_CODE.get(exc.code, INVALID_REQUEST)
        return order_result(retcode, bid=bid, ask=ask, comment=exc.message)

    def _row(self, account_id: str, ticket: int) -> OpenRow:
        row = find_row(self.face, account_id, ticket)
        if row is None:
            raise invalid(f"unknown ticket {ticket}: no open position or pending order with it on this account")
        return row


def _same(digits: int, current: object, wanted: float | None) -> bool:
    """Whether a requested level equals the current one at the symbol's digits (None = no level)."""
    if wanted is None or current is None:
        return wanted is None and current is None
    return isinstance(current, int | float) and round(float(current), digits) == round(wanted, digits)

