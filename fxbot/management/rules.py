"""The managed-stop rule model: a breakeven or trailing rule on one open position, in integer points."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from fxbot.domain.broker import Side


class RuleKind(StrEnum):
    """`be`: move the stop to the entry (plus an offset) once; `trail`: keep it a distance behind the best price."""

    BREAKEVEN = "be"
    TRAIL = "trail"


class RuleStatus(StrEnum):
    """`active` rules are evaluated; `suspended` ones wait (access lost) until set again."""

    ACTIVE = "active"
    SUSPENDED = "suspended"


@dataclass(slots=True)
class ManagedRule:
    """One rule on one position. Prices are integer points of the symbol (round(price × 10^digits)).

    `trigger_points`: the profit (in points) needed before the rule acts (be `at=`, trail `start=`; 0: now).
    `best_points`: a trailing rule's best closing price since it became active (None: not active yet).
    `stop_points`: the position's stop as last known (None: no stop). `failed_points`: a stop the broker
    refused; the rule tries again only beyond it (and the refusal was reported once)."""

    id: int
    chat_id: str
    owner_id: str
    private_chat: bool
    key_id: int
    account_id: str
    position_id: str
    symbol: str
    side: Side
    volume: float
    entry_points: int
    kind: RuleKind
    created_at: datetime
    distance_points: int = 0
    step_points: int = 0
    trigger_points: int = 0
    offset_points: int = 0
    best_points: int | None = None
    stop_points: int | None = None
    failed_points: int | None = None
    status: RuleStatus = RuleStatus.ACTIVE
    thread_id: str | None = None
    pending_points: int | None = None  # a stop queued or in flight (not stored): the next must go beyond it

    @property
    def direction(self) -> int:
        """+1 for a BUY (up is profit), -1 for a SELL."""
        return 1 if self.side is Side.BUY else -1

    @property
    def active(self) -> bool:
        return self.status is RuleStatus.ACTIVE
