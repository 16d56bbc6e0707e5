"""MetaTrader-style integer tickets for the SDK face: a bijection with the engine's `ord_…` ids, plus deal numbers."""

from __future__ import annotations

# Orders and deals are numbered apart (as MT5 does), from ranges that never meet, so a client that mixes
# up an order ticket and a deal ticket is caught at once.
FIRST_ORDER_TICKET = 50_000_001
FIRST_DEAL_TICKET = 30_000_001


class TicketBook:
    """Order tickets by engine order id and back; a position's ticket is its opening order's (MT5 hedging).

    Tickets only grow: after an engine reset the ids are forgotten but the counters go on, so a ticket is
    never reused for something else.
    """

    def __init__(self) -> None:
        self._next_order = FIRST_ORDER_TICKET
        self._next_deal = FIRST_DEAL_TICKET
        self._by_id: dict[str, int] = {}
        self._by_ticket: dict[int, str] = {}

    def __repr__(self) -> str:
        return f"TicketBook(<{len(self._by_id)} orders>, next_deal={self._next_deal})"

    def order(self, order_id: str) -> int:
        """The ticket of an engine order id (`ord_…`), given out on first sight."""
        ticket = self._by_id.get(order_id)
        if ticket is None:
            ticket = self.new_order()
            self.bind(ticket, order_id)
        return ticket

    def new_order(self) -> int:
        """A fresh order ticket bound to no engine id (a closing order, a stop-limit order)."""
        ticket = self._next_order
        self._next_order += 1
        return ticket

    def new_deal(self) -> int:
        ticket = self._next_deal
        self._next_deal += 1
        return ticket

    def bind(self, ticket: int, order_id: str) -> None:
        """Point `ticket` at `order_id` (also used when a stop-limit order becomes an engine limit order)."""
        old = self._by_ticket.get(ticket)
        if old is not None and old != order_id:
            self._by_id.pop(old, None)
        self._by_id[order_id] = ticket
        self._by_ticket[ticket] = order_id

    def engine_id(self, ticket: int) -> str | None:
        """The engine order id of a ticket (the engine resolves an order id to its position), or None."""
        return self._by_ticket.get(ticket)

    def forget_ids(self) -> None:
        """Drop every id binding (the engine was reset); the counters keep growing."""
        self._by_id.clear()
        self._by_ticket.clear()
