"""StopManager: what a stream session tells the bot-managed stops (quotes, closed positions, reconciled positions)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from fxbot.domain.broker import Broker, Position, Quote


class StopManager(Protocol):
    """Implemented by fxbot.management.service.ManagementService."""

    def on_quote(self, account_ids: Iterable[str], quote: Quote) -> int: ...

    async def position_closed(self, account_id: str, position_id: str) -> None: ...

    def stop_changed(self, account_id: str, position_id: str, sl: float | None) -> None: ...

    async def reconcile(self, broker: Broker, key_id: int, account_id: str, positions: Sequence[Position]) -> None: ...
