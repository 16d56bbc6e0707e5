"""StreamObserver: what the stream sessions report for the ops metrics (counts only, never a key or account)."""

from __future__ import annotations

from typing import Protocol


class StreamObserver(Protocol):
    """Told about reconnections, gaps (kind: disconnect, lost_event, queue_overflow), crashed sessions and
    quotes judged against the alert rules."""

    def stream_reconnected(self) -> None: ...

    def stream_gap(self, kind: str) -> None: ...

    def stream_session_failed(self) -> None: ...

    def quotes_evaluated(self, count: int = 1) -> None: ...
