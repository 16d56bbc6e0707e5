"""Engine events as the SDK face sees them: fills and closes become In/Out deals; what changed is collected."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fxbot.domain.currency import convert
from fxbot.domain.instruments import INSTRUMENTS
from fxbot.simulator.engine import SimEngine
from fxbot.simulator.errors import SimError
from fxbot.simulator.events import SimEvent
from fxbot.simulator.ledger import base_margin
from fxbot.simulator.orders import side_of
from fxbot.simulator.sdk_book import SdkBook, commission_per_lot, is_mt4
from fxbot.simulator.sdk_deals import Deal
from fxbot.simulator.sdk_wire import side_name, utc_of

_ORDER_EVENTS = frozenset({"order_opened", "order_filled", "order_closed", "order_modified", "order_cancelled"})


@dataclass(slots=True)
class Changes:
    """What one batch of engine events changed, for the stream fan-out."""

    quotes: list[str] = field(default_factory=list)  # canonical symbols, in order
    deals: list[Deal] = field(default_factory=list)
    order_accounts: set[str] = field(default_factory=set)  # accounts whose positions or orders changed
    account_updates: dict[str, dict[str, Any]] = field(default_factory=dict)  # latest snapshot per account


class EventRecorder:
    """Books the deals of each event batch in the face's deal log (every batch, whoever placed the order)."""

    def __init__(self, book: SdkBook, engine: SimEngine, platforms: dict[str, str]) -> None:
        self.book = book
        self.engine = engine
        self.platforms = platforms

    def record(self, events: list[SimEvent], now: datetime) -> Changes:
        changes = Changes()
        for event in events:
            if event.type == "quote":
                if event.symbol is not None:
                    changes.quotes.append(event.symbol)
            elif event.type == "account_update" and event.account_id is not None:
                changes.account_updates[event.account_id] = event.data
            elif event.type in _ORDER_EVENTS and event.account_id is not None:
                changes.order_accounts.add(event.account_id)
                deal = self._deal(event, now)
                if deal is not None:
                    self.book.deals.add(deal)
                    changes.deals.append(deal)
        return changes

    # --- one event -------------------------------------------------------------------------------
    def _deal(self, event: SimEvent, now: datetime) -> Deal | None:
        data, account_id = event.data, str(event.account_id)
        order_id = str(data["id"])
        note = self.book.note(order_id)
        if event.type == "order_modified":
            note.sl, note.tp = data.get("sl"), data.get("tp")
            return None
        if event.type == "order_cancelled":
            return None
        if event.type == "order_closed":
            return self._out_deal(data, account_id, now)
        if event.type == "order_opened" and data.get("status") != "filled":
            note.sl, note.tp = data.get("sl"), data.get("tp")
            return None
        # order_opened (market) or order_filled (a pending order triggered): an In deal.
        note.sl, note.tp = data.get("sl"), data.get("tp")
        if note.comment is None:
            note.comment = self._engine_comment(account_id, order_id)
        ticket = self.book.tickets.order(order_id)
        volume = float(data["volume"])
        opened = utc_of(data["created_at"]) if event.type == "order_opened" else now
        return Deal(
            ticket=self.book.tickets.new_deal(), order=ticket, position=ticket, account_id=account_id,
            symbol=str(data["symbol"]), side=side_name(side_of(str(data["type"]))), entry="In", volume=volume,
            price=float(data["price"]), commission=-round(commission_per_lot(account_id) * volume, 2), swap=0.0,
            profit=0.0, magic=note.magic, comment=note.comment or "", time=opened,
        )  # fmt: skip

    def _out_deal(self, data: dict[str, Any], account_id: str, now: datetime) -> Deal:
        order_id = str(data["id"])
        note = self.book.note(order_id)
        position = self.book.tickets.order(order_id)
        mt4 = is_mt4(self.platforms.get(account_id, "MT5"))
        volume = float(data["volume"])
        reason = str(data.get("reason") or "manual")
        comment = self._close_comment(
            reason, account_id, str(data["symbol"]), note.sl, note.tp, float(data["close_price"]), volume
        )
        if mt4 and reason == "manual":
            comment = note.comment or ""
        return Deal(
            ticket=self.book.tickets.new_deal(), order=position if mt4 else self.book.tickets.new_order(),
            position=position, account_id=account_id, symbol=str(data["symbol"]),
            side="Sell" if side_name(str(data["type"])) == "Buy" else "Buy", entry="Out", volume=volume,
            price=float(data["close_price"]), commission=-round(commission_per_lot(account_id) * volume, 2),
            swap=float(data.get("swap") or 0.0), profit=float(data["profit"]), magic=note.magic if mt4 else 0,
            comment=comment, time=now, reason=reason, trade_id=str(data.get("trade_id") or "") or None,
        )  # fmt: skip

    def _close_comment(
        self, reason: str, account_id: str, symbol: str, sl: float | None, tp: float | None, price: float,
        volume: float,
    ) -> str:
        """MT5's comment on a closing deal: `[sl 1.08000]`, `[tp 1.09000]`, `so: 48.50%/…`; empty when manual."""
        digits = INSTRUMENTS[symbol].digits if symbol in INSTRUMENTS else 5
        if reason == "sl":
            return f"[sl {(price if sl is None else sl):.{digits}f}]"
        if reason == "tp":
            return f"[tp {(price if tp is None else tp):.{digits}f}]"
        if reason == "stop_out":
            return self._stop_out_comment(account_id, symbol, volume)
        return ""

    def _stop_out_comment(self, account_id: str, symbol: str, volume: float) -> str:
        """`so: level%/equity/margin` as they stood just before this close (the account once it is done,
        plus the closed volume's margin and exit commission)."""
        snapshot = self.engine.account(account_id)
        currency = str(snapshot["currency"])
        spec = INSTRUMENTS[symbol]

        def mid(name: str) -> float | None:
            if name not in INSTRUMENTS:
                return None
            quote = self.engine.quote(name)
            return (float(quote["bid"]) + float(quote["ask"])) / 2

        closed = base_margin(spec, round(volume * 100), int(snapshot["leverage"]))
        margin = float(snapshot["margin"]) + (convert(closed, spec.base, currency, mid) or 0.0)
        equity = float(snapshot["equity"]) + commission_per_lot(account_id) * volume
        level = equity / margin * 100 if margin > 0 else 0.0
        return f"so: {level:.2f}%/{equity:.2f}/{margin:.2f}"

    def _engine_comment(self, account_id: str, order_id: str) -> str:
        """The comment a /v1 client gave the order (the engine keeps it on the position or pending order)."""
        try:
            records = self.engine.positions(account_id) + self.engine.pending_orders(account_id)
        except SimError:
            return ""
        for record in records:
            if order_id in (record.get("id"), record.get("order_id")):
                return str(record.get("comment") or "")
        return ""
