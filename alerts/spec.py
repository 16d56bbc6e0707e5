"""Parsing the arguments of `/alert …` into a price or account rule spec, with specific error messages.

Price: `EURUSD above 1.0900` (`below`, `cross`, `cross up`, `cross down`, `>`, `<`), options
`bid|ask|mid`, `once|every|repeat 5m`, `hysteresis 2` (pips), `for 2h` / `until 2026-12-31 [18:00]`,
`note …` (a quoted token, or the rest of the line). Account: `margin < 150%`, `freemargin < 500`,
`equity < 9500`, `equity > 11000`, `drawdown 3%` / `drawdown 300`, options `once|every`,
`tz Europe/London`, `anchor 17:00`, `for`/`until`, `note`. The options are read by alerts/spec_options.py.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from fxbot.alerts.rules import (
    DEFAULT_ANCHOR_HOUR,
    DEFAULT_ANCHOR_TZ,
    AccountMetric,
    AccountRule,
    FireState,
    Mode,
    PriceCondition,
    PriceRule,
    PriceSide,
    pip_points,
    to_points,
)
from fxbot.alerts.spec_options import AlertOptions
from fxbot.alerts.spec_times import AlertSpecError
from fxbot.domain.instruments import instrument

__all__ = ["AccountRuleSpec", "AlertSpecError", "PriceRuleSpec", "check_level_near", "default_digits",
           "parse_alert_args"]

LEVEL_BAND = 10.0
"""A price level must lie within this factor of the current price, either way (EURUSD at 1.08: 0.108 to 10.8)."""
MAX_LEVEL_POINTS = 2**53
"""Beyond this many points a level is no price at all (and no longer exact as a float)."""
MAX_AMOUNT = 1e12
"""The largest money or percentage threshold of an account alert."""

DigitsOf = Callable[[str], int | None]
_CONDITION_WORDS = {
    "above": PriceCondition.ABOVE,
    ">": PriceCondition.ABOVE,
    ">=": PriceCondition.ABOVE,
    "below": PriceCondition.BELOW,
    "<": PriceCondition.BELOW,
    "<=": PriceCondition.BELOW,
    "cross": PriceCondition.CROSS,
    "crosses": PriceCondition.CROSS,
}
_ACCOUNT_WORDS = {
    "margin": "margin",
    "marginlevel": "margin",
    "freemargin": "freemargin",
    "free_margin": "freemargin",
    "equity": "equity",
    "drawdown": "drawdown",
    "dd": "drawdown",
}
PRICE_USAGE = "/alert EURUSD above|below|cross [up|down] 1.0900 [ask|mid] [every|repeat 5m] [for 2h|until DATE]"


def default_digits(symbol: str) -> int | None:
    spec = instrument(symbol)
    return None if spec is None else spec.digits


@dataclass(frozen=True, slots=True)
class PriceRuleSpec:
    """A parsed price alert, not yet bound to a chat, owner or account."""

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

    def build(
        self, *, chat_id: str, owner_id: str, account_id: str, now: datetime, current_price: float | None = None
    ) -> PriceRule:
        """The rule (id 0 until stored), remembering the current price of its side when known."""
        last = None if current_price is None else to_points(current_price, self.digits)
        return PriceRule(
            id=0, chat_id=chat_id, owner_id=owner_id, account_id=account_id, created_at=now,
            symbol=self.symbol, digits=self.digits, side=self.side, condition=self.condition,
            level_points=self.level_points, mode=self.mode, repeat_minutes=self.repeat_minutes,
            hysteresis_points=self.hysteresis_points, expires_at=self.expires_at, note=self.note,
            state=FireState(last_points=last),
        )


@dataclass(frozen=True, slots=True)
class AccountRuleSpec:
    """A parsed margin/equity/drawdown alert."""

    metric: AccountMetric
    threshold: float
    percent: bool = False
    mode: Mode = Mode.EVERY
    anchor_tz: str = DEFAULT_ANCHOR_TZ
    anchor_hour: int = DEFAULT_ANCHOR_HOUR
    anchor_minute: int = 0
    expires_at: datetime | None = None
    note: str | None = None

    def build(self, *, chat_id: str, owner_id: str, account_id: str, now: datetime) -> AccountRule:
        return AccountRule(
            id=0, chat_id=chat_id, owner_id=owner_id, account_id=account_id, created_at=now,
            metric=self.metric, threshold=self.threshold, percent=self.percent, mode=self.mode,
            anchor_tz=self.anchor_tz, anchor_hour=self.anchor_hour, anchor_minute=self.anchor_minute,
            expires_at=self.expires_at, note=self.note,
        )


def parse_alert_args(
    args: list[str],
    *,
    now: datetime,
    chat_tz: str | None = None,
    digits_of: DigitsOf = default_digits,
) -> PriceRuleSpec | AccountRuleSpec:
    """The spec of `/alert <args>`; AlertSpecError (a ValueError) with a specific message otherwise.

    `chat_tz` is the chat's time zone: it is the drawdown day's zone (else America/New_York) and
    the zone of an `until` date (else UTC). `digits_of` gives a symbol's price digits (None: unknown).
    """
    tokens = [t for t in (a.strip() for a in args) if t]
    if not tokens:
        raise AlertSpecError(f"what should I watch? e.g. {PRICE_USAGE}, or /alert margin < 150%")
    head = tokens[0].lower()
    if head in _ACCOUNT_WORDS or (head == "free" and len(tokens) > 1 and tokens[1].lower() == "margin"):
        return _parse_account(tokens, now, chat_tz)
    return _parse_price(tokens, now, chat_tz, digits_of)


def _parse_price(tokens: list[str], now: datetime, chat_tz: str | None, digits_of: DigitsOf) -> PriceRuleSpec:
    symbol = tokens[0].upper().replace("/", "")
    digits = digits_of(symbol)
    if digits is None:
        raise AlertSpecError(f"unknown symbol {tokens[0]!r}: use a symbol your broker quotes, e.g. EURUSD")
    if len(tokens) < 3:
        raise AlertSpecError(f"say when it should fire: {PRICE_USAGE}")
    word = tokens[1].lower()
    rest_at = 2
    if word not in _CONDITION_WORDS:
        raise AlertSpecError(f"{tokens[1]!r} is not a condition: use above, below, cross, cross up or cross down")
    condition = _CONDITION_WORDS[word]
    if condition is PriceCondition.CROSS and tokens[2].lower() in ("up", "down"):
        condition = PriceCondition.CROSS_UP if tokens[2].lower() == "up" else PriceCondition.CROSS_DOWN
        rest_at = 3
    if rest_at >= len(tokens):
        raise AlertSpecError(f"which level? e.g. /alert {symbol} {condition.words} 1.0900")
    level_points = _parse_level(tokens[rest_at], symbol, digits)
    options = AlertOptions(tokens[rest_at + 1 :], now, chat_tz, price=True)
    hysteresis = None
    if options.hysteresis_pips is not None:
        hysteresis = round(options.hysteresis_pips * pip_points(symbol, digits))
    if options.mode is Mode.REPEAT and condition.is_edge:
        raise AlertSpecError("repeat works with above/below (a state that holds); a cross is a moment: use every")
    return PriceRuleSpec(
        symbol=symbol, digits=digits, side=options.side, condition=condition, level_points=level_points,
        mode=options.mode_or_once, repeat_minutes=options.repeat_minutes, hysteresis_points=hysteresis,
        expires_at=options.expires_at, note=options.note,
    )


def _parse_level(text: str, symbol: str, digits: int) -> int:
    """A level as exact integer points; read as a decimal, so `1e-10` or `1e308` are judged as written."""
    shown = text if len(text) <= 24 else text[:21] + "…"
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise AlertSpecError(f"{shown!r} is not a price level (e.g. 1.0900)") from None
    if not value.is_finite() or value <= 0:
        raise AlertSpecError(f"a price level must be a positive number, got {shown!r}")
    _, coefficient, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # a finite value
    trailing = len(coefficient) - len("".join(map(str, coefficient)).rstrip("0"))
    if -min(exponent + trailing, 0) > digits:
        raise AlertSpecError(f"{symbol} prices have {digits} decimals; {shown!r} has more")
    if value > Decimal(MAX_LEVEL_POINTS).scaleb(-digits):
        raise AlertSpecError(f"{shown!r} is far beyond any {symbol} price")
    return int(value.scaleb(digits))


def check_level_near(spec: PriceRuleSpec, current: float) -> None:
    """AlertSpecError when the level is not within LEVEL_BAND× of the current price (either way).

    A level a tenth or ten times away from the market is a typo, not a plan; `current` is the
    price of the rule's side now (nothing is checked when it is not a usable price).
    """
    if not 0.0 < current < math.inf:
        return
    level = spec.level_points / 10.0**spec.digits
    low, high = current / LEVEL_BAND, current * LEVEL_BAND
    if not low <= level <= high:
        d = spec.digits
        raise AlertSpecError(
            f"{level:.{d}f} is too far from the market: {spec.symbol} {spec.side.value} is {current:.{d}f} now, "
            f"and a level must lie between {low:.{d}f} and {high:.{d}f} (within {LEVEL_BAND:g}× of the price)")


def _parse_account(tokens: list[str], now: datetime, chat_tz: str | None) -> AccountRuleSpec:
    head = tokens[0].lower()
    kind = "freemargin" if head == "free" else _ACCOUNT_WORDS[head]
    rest = tokens[2:] if head == "free" else tokens[1:]
    if kind == "margin" and rest and rest[0].lower() == "level":
        rest = rest[1:]
    if kind == "drawdown":
        if not rest:
            raise AlertSpecError("how much drawdown? e.g. /alert drawdown 3% or /alert drawdown 300")
        value, percent = _parse_amount(rest[0], "drawdown")
        options = AlertOptions(rest[1:], now, chat_tz, price=False)
        if percent and value >= 100:
            raise AlertSpecError("a drawdown percentage must be below 100%")
        return AccountRuleSpec(
            metric=AccountMetric.DRAWDOWN, threshold=value, percent=percent, mode=options.account_mode(Mode.ONCE),
            anchor_tz=options.anchor_tz or chat_tz or DEFAULT_ANCHOR_TZ,
            anchor_hour=options.anchor[0], anchor_minute=options.anchor[1],
            expires_at=options.expires_at, note=options.note,
        )
    if len(rest) < 2 or rest[0] not in ("<", ">"):
        example = {"margin": "margin < 150%", "freemargin": "freemargin < 500", "equity": "equity < 9500"}[kind]
        raise AlertSpecError(f"write it as /alert {example}")
    op, (value, percent) = rest[0], _parse_amount(rest[1], kind)
    options = AlertOptions(rest[2:], now, chat_tz, price=False)
    if kind == "margin":
        if op != "<":
            raise AlertSpecError("margin level alerts watch a fall: /alert margin < 150%")
        metric = AccountMetric.MARGIN_LEVEL
        percent = True
    elif kind == "freemargin":
        if op != "<":
            raise AlertSpecError("free margin alerts watch a fall: /alert freemargin < 500")
        metric = AccountMetric.FREE_MARGIN
    else:
        metric = AccountMetric.EQUITY_BELOW if op == "<" else AccountMetric.EQUITY_ABOVE
    if percent and kind != "margin":
        raise AlertSpecError(f"{kind} is money in the account currency, not a percentage")
    if options.anchor_tz is not None or options.anchor_set:
        raise AlertSpecError("tz and anchor only apply to drawdown alerts")
    return AccountRuleSpec(
        metric=metric, threshold=value, percent=percent, mode=options.account_mode(Mode.EVERY),
        expires_at=options.expires_at, note=options.note,
    )


def _parse_amount(text: str, what: str) -> tuple[float, bool]:
    percent = text.endswith("%")
    number = text[:-1] if percent else text
    shown = text if len(text) <= 24 else text[:21] + "…"
    try:
        value = float(number.replace(",", ""))
    except ValueError:
        raise AlertSpecError(f"{what}: {shown!r} is not a number") from None
    if not value > 0 or value == float("inf"):
        raise AlertSpecError(f"{what}: the threshold must be a positive number, got {shown!r}")
    if value > MAX_AMOUNT:
        raise AlertSpecError(f"{what}: {shown!r} is far beyond any account; at most {MAX_AMOUNT:,.0f}")
    return value, percent
