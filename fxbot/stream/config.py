"""PumpConfig: the stream pump's timings (reconnect backoff, refresh and expiry intervals, lookbacks)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class PumpConfig:
    """Defaults suit production; tests shorten them."""

    reconnect_min_s: float = 0.5
    reconnect_max_s: float = 30.0
    silence_timeout_s: float = 60.0
    refresh_interval_s: float = 15.0
    expiry_interval_s: float = 1.0
    restart_min_s: float = 1.0
    restart_max_s: float = 60.0
    refused_retry_s: float = 300.0
    startup_lookback: timedelta = timedelta(hours=24)
    gap_margin: timedelta = timedelta(seconds=5)
    order_queue_max: int = 1000  # order events waiting to be handled; past it they are dropped and reconciled

    def __post_init__(self) -> None:
        for name in ("reconnect_min_s", "reconnect_max_s", "silence_timeout_s", "refresh_interval_s",
                     "expiry_interval_s", "restart_min_s", "restart_max_s", "refused_retry_s"):
            value = getattr(self, name)
            if not value > 0:
                raise ValueError(f"{name} must be positive, got {value!r}")
        if self.order_queue_max < 1:
            raise ValueError(f"order_queue_max must be at least 1, got {self.order_queue_max!r}")
        if self.restart_max_s < self.restart_min_s or self.reconnect_max_s < self.reconnect_min_s:
            raise ValueError("a maximum backoff must not be below its minimum")
