"""SessionStatus: the health counters one key's stream session keeps for /status, the watchdog and readiness."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(slots=True)
class SessionStatus:
    """What /status shows about one key's stream (the counters add up over the session's restarts)."""

    key_id: int
    key_name: str
    connected: bool = False
    since: datetime | None = None
    last_event_at: datetime | None = None
    reconnects: int = 0
    subscriptions: int = 0
    detail: str | None = "starting"
    refused: bool = False
    malformed_frames: int = 0  # order/account frames that could not be read (reconciled over REST)
    dropped_order_events: int = 0  # order events past the queue's bound (reconciled over REST)
    failures: int = 0  # times the session crashed and was restarted

    def carry_over(self, previous: SessionStatus) -> None:
        """Keep the counters of the session this one replaces."""
        self.reconnects = previous.reconnects
        self.malformed_frames = previous.malformed_frames
        self.dropped_order_events = previous.dropped_order_events
        self.failures = previous.failures
