"""What the SDK face remembers beside the engine (deals, order notes, stop-limits, batches); rebuilt on reset."""

from __future__ import annotations

from dataclasses import dataclass

from fxbot.simulator.accounts_config import DEFAULT_ACCOUNTS, AccountSpec
from fxbot.simulator.sdk_deals import DealLog
from fxbot.simulator.sdk_idempotency import IdempotencyStore
from fxbot.simulator.sdk_stoplimit import StopLimitBook
from fxbot.simulator.sdk_tickets import TicketBook

# The simulator's engine always runs the default accounts (SimState builds it that way).
ACCOUNT_SPECS: dict[str, AccountSpec] = {spec.id: spec for spec in DEFAULT_ACCOUNTS}


@dataclass(slots=True)
class OrderNote:
    """What the engine does not keep about an order: its magic number, and its SL/TP as last seen."""

    magic: int = 0
    comment: str | None = None
    sl: float | None = None
    tp: float | None = None


def commission_per_lot(account_id: str) -> float:
    spec = ACCOUNT_SPECS.get(account_id)
    return 0.0 if spec is None else spec.commission_per_lot


def is_mt4(platform: str) -> bool:
    return platform.upper() == "MT4"


class SdkBook:
    """The face's memory of one engine: a reset starts a new book (tickets keep counting, never reused)."""

    def __init__(self, tickets: TicketBook) -> None:
        tickets.forget_ids()
        self.tickets = tickets
        self.deals = DealLog()
        self.notes: dict[str, OrderNote] = {}
        self.stop_limits = StopLimitBook()
        self.batches = IdempotencyStore()

    def __repr__(self) -> str:
        return f"SdkBook({self.deals!r}, {self.stop_limits!r})"

    def note(self, order_id: str) -> OrderNote:
        note = self.notes.get(order_id)
        if note is None:
            note = self.notes[order_id] = OrderNote()
        return note
