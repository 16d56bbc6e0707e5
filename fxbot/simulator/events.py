"""Stream events produced by the simulator engine, one per wire frame."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class SimEvent:
    """One stream frame: `type` and its `data` object, tagged with the account and symbol it concerns."""

    type: str
    data: dict[str, Any]
    account_id: str | None = None
    symbol: str | None = None

    def frame(self) -> dict[str, Any]:
        """The wire frame {"type": ..., "data": {...}}."""
        return {"type": self.type, "data": self.data}
