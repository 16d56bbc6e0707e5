"""The alert rule model: price rules, account rules and their persisted fire state."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from fxbot.domain.instruments import instrument

DEFAULT_ANCHOR_TZ = "America/New_York"
DEFAULT_ANCHOR_HOUR = 17
MIN_REPEAT_MINUTES = 1
MAX_NOTE_LENGTH = 200


class PriceSide(StrEnum):
    """Which price of a quote a rule watches: bid (what MetaTrader charts show), ask or mid."""

    BID = "bid"
    ASK = "ask"
    MID = "mid"


class PriceCondition(StrEnum):
    """above/below are states (true now fires now); the cross ones are edges (a later move across)."""

    ABOVE = "above"
    BELOW = "below"
    CROSS = "cross"
    CROSS_UP = "cross_up"
    CROSS_DOWN = "cross_down"

    @property
    def is_edge(self) -> bool:
        return self not in (PriceCondition.ABOVE, PriceCondition.BELOW)

    @property
    def words(self) -> str:
        return self.value.replace("_", " ")


class Mode(StrEnum):
    """once: fire then done; every: fire again after re-arming; repeat: every N minutes while true."""

    ONCE = "once"
    EVERY = "every"
    REPEAT = "repeat"


class AccountMetric(StrEnum):
    """What an account rule watches."""

    MARGIN_LEVEL = "margin_level"
    FREE_MARGIN = "free_margin"
    EQUITY_BELOW = "equity_below"
    EQUITY_ABOVE = "equity_above"
    DRAWDOWN = "drawdown"


@dataclass(frozen=True, slots=True)
class FireState:
    """A rule's persisted fire state (what the engine must remember across restarts).

    `fire_seq` counts firings; the dedupe key of a firing uses its value before that firing.
    `last_points` is the price (points) the rule was last judged at: its creation price, then
    the price of its last firing or re-arming. `rearm_band` is the hysteresis (points, or the
    money/percent band for account rules) chosen when it last fired. `recent_fires` holds the
    epoch seconds of firings within the runaway window.
    """

    armed: bool = True
    last_points: int | None = None
    fire_seq: int = 0
    recent_fires: tuple[float, ...] = ()
    last_fired_at: datetime | None = None
    done: bool = False
    expired_reported: bool = False
    paused: bool = False
    rearm_band: float | None = None
    day_id: str | None = None
    day_start_balance: float | None = None
    dormant: bool = False
    ref_value: float | None = None


@dataclass(frozen=True, slots=True)
class PriceRule:
    """Fire when a symbol's bid/ask/mid meets a level (compared as integer points)."""

    id: int
    chat_id: str
    owner_id: str
    account_id: str
    created_at: datetime
    symbol: str
    digits: int
    side: PriceSide
    condition: PriceCondition
    level_points: int
    mode: Mode = Mode.ONCE
    repeat_minutes: int | None = None
    hysteresis_points: int | None = None
    expires_at: datetime | None = None
    note: str | None = None
    state: FireState = field(default_factory=FireState)

    def __post_init__(self) -> None:
        _check_common(self.chat_id, self.owner_id, self.account_id, self.mode, self.repeat_minutes, self.note)
        if self.digits < 0 or self.digits > 10:
            raise ValueError(f"digits must be 0-10, got {self.digits}")
        if self.level_points <= 0:
            raise ValueError("a price level must be positive")
        if self.mode is Mode.REPEAT and self.condition.is_edge:
            raise ValueError("repeat works with above/below (a state); a cross is a moment: use every")
        if self.hysteresis_points is not None and self.hysteresis_points < 0:
            raise ValueError("hysteresis must not be negative")

    @property
    def level(self) -> float:
        return round(self.level_points / 10.0**self.digits, self.digits)

    @property
    def pip_points(self) -> int:
        return pip_points(self.symbol, self.digits)

    def format_points(self, points: int) -> str:
        return f"{points / 10.0**self.digits:.{self.digits}f}"


@dataclass(frozen=True, slots=True)
class AccountRule:
    """Fire on an account's margin level, free margin, equity or daily drawdown.

    `threshold` is a percent for margin level and for a drawdown with `percent=True`, otherwise
    money in the account currency. Drawdown is measured per trading day starting at
    `anchor_hour:anchor_minute` in `anchor_tz` (FX rollover: 17:00 America/New_York).
    """

    id: int
    chat_id: str
    owner_id: str
    account_id: str
    created_at: datetime
    metric: AccountMetric
    threshold: float
    percent: bool = False
    mode: Mode = Mode.EVERY
    anchor_tz: str = DEFAULT_ANCHOR_TZ
    anchor_hour: int = DEFAULT_ANCHOR_HOUR
    anchor_minute: int = 0
    expires_at: datetime | None = None
    note: str | None = None
    state: FireState = field(default_factory=FireState)

    def __post_init__(self) -> None:
        _check_common(self.chat_id, self.owner_id, self.account_id, self.mode, None, self.note)
        if self.mode is Mode.REPEAT:
            raise ValueError("account alerts fire once or every time (after recovering); repeat is for prices")
        if not self.threshold > 0 or self.threshold != self.threshold:
            raise ValueError("an account alert threshold must be a positive number")
        if self.percent and self.metric not in (AccountMetric.MARGIN_LEVEL, AccountMetric.DRAWDOWN):
            raise ValueError("only margin level and drawdown take a percentage")
        if self.percent and self.metric is AccountMetric.DRAWDOWN and self.threshold >= 100:
            raise ValueError("a drawdown percentage must be below 100%")
        if not 0 <= self.anchor_hour <= 23 or not 0 <= self.anchor_minute <= 59:
            raise ValueError("the trading-day anchor must be a time of day (00:00-23:59)")


Rule = PriceRule | AccountRule


def pip_points(symbol: str, digits: int) -> int:
    """How many points make one pip (10 for EURUSD, USDJPY and XAUUSD; 10 for an unknown symbol)."""
    spec = instrument(symbol)
    if spec is not None:
        return max(1, round(spec.pip_size * 10.0**spec.digits))
    return 10 if digits >= 1 else 1


def to_points(price: float, digits: int) -> int:
    """A price as integer points (round(price × 10^digits)), so 1.09 and 1.0900 are one level."""
    return round(price * 10.0**digits)


def _check_common(
    chat_id: str, owner_id: str, account_id: str, mode: Mode, repeat_minutes: int | None, note: str | None
) -> None:
    if not chat_id or not owner_id or not account_id:
        raise ValueError("a rule needs a chat, an owner and an account")
    if mode is Mode.REPEAT:
        if repeat_minutes is None or repeat_minutes < MIN_REPEAT_MINUTES:
            raise ValueError(f"repeat needs an interval of at least {MIN_REPEAT_MINUTES} minute")
    elif repeat_minutes is not None:
        raise ValueError("a repeat interval only applies to mode repeat")
    if note is not None and len(note) > MAX_NOTE_LENGTH:
        raise ValueError(f"a note must be at most {MAX_NOTE_LENGTH} characters")
