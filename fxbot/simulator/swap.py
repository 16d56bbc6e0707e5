"""Overnight swap: per-symbol rates and the 17:00 America/New_York rollover schedule (triple Wednesday)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

NEW_YORK = ZoneInfo("America/New_York")
ROLLOVER_LOCAL_TIME = time(17, 0)

# (long, short) swap in points per lot per night; negative is a charge. Signs follow the rate
# differentials: USD pays against EUR/JPY/CHF, costs against AUD/NZD/GBP carry is small; metals cost longs.
SWAP_POINTS: dict[str, tuple[float, float]] = {
    "EURUSD": (-7.2, 2.1),
    "GBPUSD": (-2.9, -1.4),
    "USDJPY": (15.3, -28.6),
    "USDCHF": (6.4, -13.2),
    "AUDUSD": (-4.1, 0.6),
    "USDCAD": (1.8, -8.9),
    "NZDUSD": (-3.6, 0.2),
    "EURGBP": (-5.3, 0.9),
    "EURJPY": (9.8, -21.4),
    "GBPJPY": (18.7, -35.2),
    "EURCHF": (1.2, -6.8),
    "XAUUSD": (-48.5, 21.3),
    "XAGUSD": (-6.1, 1.9),
}


def swap_points(symbol: str, side: str) -> float:
    """Swap points per lot per night for a BUY (long) or SELL (short) position."""
    long_points, short_points = SWAP_POINTS.get(symbol, (0.0, 0.0))
    return long_points if side == "BUY" else short_points


def next_rollover(after: datetime) -> datetime:
    """The first weekday 17:00 New York rollover strictly after `after`, in UTC."""
    local = after.astimezone(NEW_YORK)
    day = local.date()
    while True:
        candidate = datetime.combine(day, ROLLOVER_LOCAL_TIME, tzinfo=NEW_YORK)
        if candidate.weekday() < 5 and candidate.astimezone(UTC) > after:
            return candidate.astimezone(UTC)
        day += timedelta(days=1)


def rollover_nights(rollover: datetime) -> int:
    """Nights charged at a rollover: three on Wednesday (covers the weekend), otherwise one."""
    return 3 if rollover.astimezone(NEW_YORK).weekday() == 2 else 1
