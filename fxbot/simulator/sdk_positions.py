"""One account's open positions and pending orders as the SDK face sees them: tickets, magic numbers, rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fxbot.simulator.sdk_stoplimit import StopLimitOrder
from fxbot.simulator.sdk_wire import (
    OPERATION_BY_TYPE,
    opened_pending,
    opened_position,
    opened_stop_limit,
    side_name,
)

if TYPE_CHECKING:
    from fxbot.simulator.sdk_face import SdkFace


@dataclass(frozen=True, slots=True)
class OpenRow:
    """A position, a pending order or a waiting stop-limit order, with what selectors match on."""

    ticket: int
    kind: str  # "position" | "pending"
    symbol: str  # canonical
    operation: str  # Buy, Sell, BuyLimit, …, SellStopLimit
    volume: float
    magic: int
    order_id: str | None  # the engine's order id; None for a stop-limit order the face holds
    record: dict[str, Any] | None = None  # the engine's /v1 record
    stop_limit: StopLimitOrder | None = None

    @property
    def long(self) -> bool:
        return self.operation.startswith("Buy")


def open_rows(face: SdkFace, account_id: str) -> list[OpenRow]:
    """Positions, then pending orders, then stop-limit orders, each in ticket order."""
    engine, book = face.engine, face.book
    rows: list[OpenRow] = []
    for position in engine.positions(account_id):
        order_id = str(position["order_id"])
        rows.append(OpenRow(
            ticket=book.tickets.order(order_id), kind="position", symbol=str(position["symbol"]),
            operation=side_name(str(position["type"])), volume=float(position["volume"]),
            magic=book.note(order_id).magic, order_id=order_id, record=position,
        ))  # fmt: skip
    for order in engine.pending_orders(account_id):
        order_id = str(order["id"])
        rows.append(OpenRow(
            ticket=book.tickets.order(order_id), kind="pending", symbol=str(order["symbol"]),
            operation=OPERATION_BY_TYPE[str(order["type"])], volume=float(order["volume"]),
            magic=book.note(order_id).magic, order_id=order_id, record=order,
        ))  # fmt: skip
    for held in book.stop_limits.of_account(account_id):
        rows.append(OpenRow(
            ticket=held.ticket, kind="pending", symbol=held.symbol, operation=held.operation,
            volume=round(held.units / 100, 2), magic=held.magic, order_id=None, stop_limit=held,
        ))  # fmt: skip
    rows.sort(key=lambda row: (row.kind != "position", row.ticket))
    return rows


def find_row(face: SdkFace, account_id: str, ticket: int) -> OpenRow | None:
    for row in open_rows(face, account_id):
        if row.ticket == ticket:
            return row
    return None


def opened_orders(face: SdkFace, account_id: str) -> list[dict[str, Any]]:
    """The /OpenedOrders answer (also the `positions` frame's data)."""
    out: list[dict[str, Any]] = []
    for row in open_rows(face, account_id):
        name = face.names.broker(row.symbol)
        if row.kind == "position":
            assert row.record is not None
            out.append(opened_position(row.record, row.ticket, row.magic, name, face.clock))
            continue
        current = face.current_price(row.symbol, buy=row.long)
        if row.stop_limit is not None:
            out.append(opened_stop_limit(row.stop_limit, name, current, face.clock))
        else:
            assert row.record is not None
            out.append(opened_pending(row.record, row.ticket, row.magic, name, current, face.clock))
    return out
