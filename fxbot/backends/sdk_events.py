"""Order events of one MetaTrader account, derived from its stream's `trade` deals and `positions` snapshots.

The terminal streams no order events, only deals (`trade`: an `In` deal opened a position, an `Out`
deal closed some of it) and the full list of open positions and pending orders after each change
(`positions`). From them, with the port's event shapes (those the `/v1` stream sends):

- `order_opened` (`status` `filled`): a new position; `order_filled`: a pending order that triggered.
  Announced once, when the position shows in a snapshot (so SL/TP are known), or from its `In` deal
  when the position is already gone (opened and closed between two snapshots) or the connection drops.
- `order_closed`: each closing deal, with `close_price`, `profit`, `commission`, `swap`, `reason`
  (`sl`/`tp`/`stop_out`/`manual` from the deal's comment) and `remaining` lots when the position's
  size was known; `id` and `position_id` are the position's ticket (MT5 hedging: the opening order's).
  `commission` is the closed lots' whole commission, as `/v1` and the history give it: the closing
  deal's plus their share of what the opening deal charged (MT5 charges entry commission on the `In`
  deal), when that deal was seen on this stream.
- `order_opened` (`status` `pending`), `order_modified` (SL/TP/price, or a stop-limit order becoming a
  limit order), `order_cancelled` (a pending order gone without a deal): from snapshot differences.

The first snapshot after (re)connecting is a baseline only: what changed while disconnected is for the
caller's REST reconciliation. Closes are never derived from snapshots (a deal carries the reason, and a
snapshot-made close would be notified twice under two reasons).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from fxsocket.models import OpenedOrder, TradeEventData

from fxbot.backends import sdk_mapping as mapping
from fxbot.backends.sdk_history import close_reason
from fxbot.backends.sdk_symbols import SymbolMap
from fxbot.backends.sdk_time import BrokerClock
from fxbot.domain.broker.enums import OrderType
from fxbot.domain.broker.events import OrderEvent, OrderEventData, OrderEventKind
from fxbot.domain.broker.tickets import ticket_id

MEMORY = 4096  # tickets remembered as announced / filled (bounded)
_EPSILON = 1e-9


class _Remembered:
    """A bounded set of tickets, oldest forgotten first."""

    def __init__(self, size: int = MEMORY) -> None:
        self._size = size
        self._items: OrderedDict[int, None] = OrderedDict()

    def add(self, ticket: int) -> None:
        self._items.pop(ticket, None)
        self._items[ticket] = None
        while len(self._items) > self._size:
            self._items.popitem(last=False)

    def discard(self, ticket: int) -> None:
        self._items.pop(ticket, None)

    def __contains__(self, ticket: object) -> bool:
        return ticket in self._items


@dataclass(frozen=True, slots=True)
class _HeldOpen:
    """An `In` deal waiting for the snapshot that shows its position (for SL/TP)."""

    deal: TradeEventData
    kind: OrderEventKind
    order_type: OrderType


def _position_of(deal: TradeEventData) -> int:
    return deal.position or deal.order


def _changed(a: float, b: float) -> bool:
    return abs(a - b) > _EPSILON


class OrderEventDeriver:
    """Turns one account's `trade` and `positions` frames into port order events (see the module docstring)."""

    def __init__(self, account_id: str, symbols: SymbolMap, clock: BrokerClock) -> None:
        self.account_id = account_id
        self.symbols = symbols
        self.clock = clock
        self._snapshot: dict[int, OpenedOrder] | None = None
        self._lots: dict[int, float] = {}  # position ticket -> lots open as last known
        self._held: dict[int, _HeldOpen] = {}
        self._announced = _Remembered()  # positions whose opening was announced
        self._filled = _Remembered()  # pending order tickets known to have been filled by a deal
        self._entry_fees: OrderedDict[int, tuple[float, float]] = OrderedDict()  # position -> (commission, lots)

    def __repr__(self) -> str:
        state = "no baseline" if self._snapshot is None else f"{len(self._snapshot)} open"
        return f"OrderEventDeriver({self.account_id!r}, {state}, {len(self._held)} held)"

    def use(self, symbols: SymbolMap, clock: BrokerClock) -> None:
        """Newer symbol names or server clock (re-read on reconnect)."""
        self.symbols, self.clock = symbols, clock

    # --- connection state

    def reset(self) -> list[OrderEvent]:
        """Frames may have been lost: the next snapshot is a baseline; held openings are announced now."""
        events = [self._open_from_deal(held, None) for held in self._held.values()]
        self._held.clear()
        self._snapshot = None
        return events

    # --- frames

    def on_trade(self, deal: TradeEventData) -> list[OrderEvent]:
        entry = deal.entry.strip().lower()
        position = _position_of(deal)
        if entry == "unknown" or deal.degraded:
            entry = "out" if self._is_open_position(position) else "in"
        if entry == "in":
            return self._on_in(deal)
        events = self._flush_held(position)
        if entry != "inout":
            events.append(self._closed(deal, degraded=deal.degraded))
            return events
        # A netting reversal: the deal closed what was open and opened the rest the other way.
        open_lots = self._lots.get(position, deal.volume)
        share = min(open_lots / deal.volume, 1.0) if deal.volume > _EPSILON else 1.0
        events.append(self._closed(deal.model_copy(update={"volume": open_lots,
                                                           "commission": deal.commission * share}),
                                   degraded=deal.degraded))
        rest = round(deal.volume - open_lots, 8)
        self._announced.discard(position)
        if rest > _EPSILON:
            events += self._on_in(deal.model_copy(update={"volume": rest, "commission": deal.commission * (1 - share)}),
                                  stale=True)
        return events

    def on_positions(self, rows: Iterable[OpenedOrder]) -> list[OrderEvent]:
        new = {row.ticket: row for row in rows}
        old = self._snapshot
        events: list[OrderEvent] = []
        if old is None:  # a baseline: what is open now was opened before (or during a gap)
            for ticket, row in new.items():
                if mapping.is_position(row):
                    if ticket in self._held:
                        events.append(self._open_from_deal(self._held.pop(ticket), row))
                    self._announced.add(ticket)
        else:
            for ticket, row in new.items():
                events += self._compare(ticket, old.get(ticket), row)
            for ticket, gone in old.items():
                if ticket not in new and not mapping.is_position(gone) and ticket not in self._filled:
                    events.append(self._cancelled(gone))
        for position in [p for p in self._held if p not in new]:  # opened and already closed again
            events.append(self._open_from_deal(self._held.pop(position), None))
        self._snapshot = new
        self._lots = {t: r.lots for t, r in new.items() if mapping.is_position(r)}
        return events

    # --- openings

    def _on_in(self, deal: TradeEventData, *, stale: bool = False) -> list[OrderEvent]:
        """An opening deal (`stale`: the snapshot still shows the position as it was before this deal)."""
        position = _position_of(deal)
        self._note_entry_fee(position, deal)
        snapshot = self._snapshot or {}
        was_pending = snapshot.get(deal.order)
        if was_pending is not None and not mapping.is_position(was_pending):
            kind: OrderEventKind = "order_filled"
            type_ = mapping.order_type(was_pending.type)
            self._filled.add(deal.order)
        else:
            kind, type_ = "order_opened", mapping.market_type(mapping.side(deal.type))
        if position in self._announced:
            return []
        held = _HeldOpen(deal, kind, type_)
        row = None if stale else snapshot.get(position)
        if row is not None and mapping.is_position(row):
            return [self._open_from_deal(held, row)]
        self._held[position] = held
        return []

    def _note_entry_fee(self, position: int, deal: TradeEventData) -> None:
        """Remember what an opening deal charged, for the closes of its lots (bounded, oldest forgotten)."""
        if deal.degraded or deal.volume <= _EPSILON:
            return
        paid, lots = self._entry_fees.pop(position, (0.0, 0.0))
        self._entry_fees[position] = (paid + deal.commission, lots + deal.volume)
        while len(self._entry_fees) > MEMORY:
            self._entry_fees.popitem(last=False)

    def _entry_fee_share(self, position: int, volume: float) -> float | None:
        """The opening commission of `volume` closed lots (None when the opening deal was not seen); what is left
        stays for the rest of the position."""
        known = self._entry_fees.get(position)
        if known is None:
            return None
        paid, lots = known
        closed = min(volume, lots)
        share = paid * closed / lots if lots > _EPSILON else paid
        if lots - closed > _EPSILON:
            self._entry_fees[position] = (paid - share, lots - closed)
        else:
            del self._entry_fees[position]
        return share

    def _flush_held(self, position: int) -> list[OrderEvent]:
        held = self._held.pop(position, None)
        return [] if held is None else [self._open_from_deal(held, None)]

    def _open_from_deal(self, held: _HeldOpen, row: OpenedOrder | None) -> OrderEvent:
        deal = held.deal
        position = _position_of(deal)
        self._announced.add(position)
        values: dict[str, Any] = {
            "id": ticket_id(deal.order or position), "symbol": self.symbols.canonical(deal.symbol),
            "type": held.order_type, "volume": deal.volume, "price": deal.price, "status": "filled",
            "position_id": ticket_id(position), "account_id": self.account_id, "time": self._time(deal.time),
        }
        if row is not None:
            values["sl"], values["tp"] = mapping.level(row.stop_loss), mapping.level(row.take_profit)
        return self._event(held.kind, values)

    def _open_from_row(self, row: OpenedOrder, kind: OrderEventKind, type_: OrderType) -> OrderEvent:
        self._announced.add(row.ticket)
        return self._event(kind, {
            "id": ticket_id(row.ticket), "symbol": self.symbols.canonical(row.symbol), "type": type_,
            "volume": row.lots, "price": row.open_price, "status": "filled", "position_id": ticket_id(row.ticket),
            "sl": mapping.level(row.stop_loss), "tp": mapping.level(row.take_profit), "account_id": self.account_id,
            "time": self._time(row.open_time),
        })

    # --- snapshot differences

    def _compare(self, ticket: int, old: OpenedOrder | None, row: OpenedOrder) -> list[OrderEvent]:
        if mapping.is_position(row):
            held = self._held.pop(ticket, None)
            if held is not None:
                return [self._open_from_deal(held, row)]
            if ticket in self._announced:
                return self._modified(old, row) if old is not None and mapping.is_position(old) else []
            if old is not None and not mapping.is_position(old):  # the pending order triggered (same ticket)
                self._filled.add(ticket)
                return [self._open_from_row(row, "order_filled", mapping.order_type(old.type))]
            return [self._open_from_row(row, "order_opened", mapping.market_type(mapping.side(row.type)))]
        if old is None:
            return [self._event("order_opened", {
                "id": ticket_id(ticket), "symbol": self.symbols.canonical(row.symbol),
                "type": mapping.order_type(row.type), "volume": row.lots, "price": row.open_price,
                "status": "pending", "sl": mapping.level(row.stop_loss), "tp": mapping.level(row.take_profit),
                "account_id": self.account_id, "time": self._time(row.open_time),
            })]
        return self._modified(old, row)

    def _modified(self, old: OpenedOrder | None, row: OpenedOrder) -> list[OrderEvent]:
        if old is None:
            return []
        position = mapping.is_position(row)
        moved = not position and (_changed(old.open_price, row.open_price) or old.type != row.type)
        if not (moved or _changed(old.stop_loss, row.stop_loss) or _changed(old.take_profit, row.take_profit)):
            return []
        values: dict[str, Any] = {
            "id": ticket_id(row.ticket), "symbol": self.symbols.canonical(row.symbol),
            "type": mapping.market_type(mapping.side(row.type)) if position else mapping.order_type(row.type),
            "sl": mapping.level(row.stop_loss), "tp": mapping.level(row.take_profit), "price": row.open_price,
            "account_id": self.account_id,
        }
        if position:
            values["position_id"] = ticket_id(row.ticket)
        return [self._event("order_modified", values)]

    def _cancelled(self, gone: OpenedOrder) -> OrderEvent:
        return self._event("order_cancelled", {
            "id": ticket_id(gone.ticket), "symbol": self.symbols.canonical(gone.symbol),
            "type": mapping.order_type(gone.type), "volume": gone.lots, "price": gone.open_price,
            "account_id": self.account_id,
        })

    # --- closes

    def _is_open_position(self, position: int) -> bool:
        row = (self._snapshot or {}).get(position)
        return (row is not None and mapping.is_position(row)) or position in self._lots or position in self._held

    def _closed(self, deal: TradeEventData, *, degraded: bool) -> OrderEvent:
        position = _position_of(deal)
        values: dict[str, Any] = {
            "id": ticket_id(position), "position_id": ticket_id(position),
            "symbol": self.symbols.canonical(deal.symbol),
            "type": mapping.market_type(mapping.side(deal.type).opposite), "volume": deal.volume,
            "close_price": deal.price, "account_id": self.account_id, "time": self._time(deal.time),
        }
        entry_fee = self._entry_fee_share(position, deal.volume)
        if not degraded:
            commission = deal.commission if entry_fee is None else round(deal.commission + entry_fee, 2)
            values.update(profit=deal.profit, commission=commission, swap=deal.swap,
                          reason=close_reason(deal.comment))
        lots = self._lots.get(position)
        if lots is not None:
            remaining = round(max(lots - deal.volume, 0.0), 8)
            values["remaining"] = remaining
            if remaining > _EPSILON:
                self._lots[position] = remaining
            else:
                del self._lots[position]
        return self._event("order_closed", values)

    # --- helpers

    def _time(self, text: str) -> Any:
        try:
            return self.clock.parse(text)
        except ValueError:
            return None

    def _event(self, kind: OrderEventKind, values: dict[str, Any]) -> OrderEvent:
        data = OrderEventData.model_validate({k: v for k, v in values.items() if v is not None or k in ("sl", "tp")})
        return OrderEvent(kind, self.account_id, data)
