"""Evaluation of margin, free-margin, equity and daily-drawdown rules on account updates.

The engine evaluates exactly the state it is given: the stream pump coalesces bursts of
`account_update` frames per account and passes only the latest one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from fxbot.alerts.firing import Firing, account_firing
from fxbot.alerts.rules import AccountMetric, AccountRule, FireState, Mode
from fxbot.alerts.trading_day import trading_day_id
from fxbot.domain.broker import Account

MARGIN_BAND_MIN = 10.0
MARGIN_BAND_SHARE = 0.10
MONEY_BAND_SHARE = 0.10


@dataclass(frozen=True, slots=True)
class AccountState:
    """What account rules look at (the `GET /v1/account` / `account_update` object)."""

    balance: float
    equity: float
    margin: float
    free_margin: float
    margin_level: float | None
    currency: str

    @classmethod
    def from_account(cls, account: Account) -> AccountState:
        return cls(account.balance, account.equity, account.margin, account.free_margin, account.margin_level,
                   account.currency)

    def defined_margin_level(self) -> float | None:
        """equity / margin × 100, undefined (None) when margin is 0."""
        if self.margin <= 0:
            return None
        if self.margin_level is not None:
            return self.margin_level
        return self.equity / self.margin * 100.0


@dataclass(frozen=True, slots=True)
class AccountOutcome:
    """The rule after evaluation, whether its state changed, and its firing if it fired."""

    rule: AccountRule
    changed: bool
    firing: Firing | None = None


def evaluate_account_rule(rule: AccountRule, acc: AccountState, at: datetime) -> AccountOutcome:
    """Judge one account rule against one account state."""
    s = rule.state
    if s.done or s.paused or s.expired_reported or (rule.expires_at is not None and rule.expires_at <= at):
        return AccountOutcome(rule, False)
    if rule.metric is AccountMetric.DRAWDOWN:
        return _drawdown(rule, acc, at)
    if rule.metric is AccountMetric.MARGIN_LEVEL:
        value = acc.defined_margin_level()
        if value is None:
            if s.dormant:
                return AccountOutcome(rule, False)
            return _changed(rule, replace(s, dormant=True))
        band = max(MARGIN_BAND_MIN, MARGIN_BAND_SHARE * rule.threshold)
    elif rule.metric is AccountMetric.FREE_MARGIN:
        value = acc.free_margin
        band = _money_band(rule, s, value)
    elif rule.metric is AccountMetric.EQUITY_BELOW:
        value = acc.equity
        band = _money_band(rule, s, value)
    else:
        value = acc.equity
        band = _money_band(rule, s, value)
    return _threshold(rule, acc, at, value, band)


def _money_band(rule: AccountRule, s: FireState, value: float) -> float:
    """10% of the distance between the threshold and the value when the rule was first judged."""
    ref = s.ref_value if s.ref_value is not None else value
    return max(MONEY_BAND_SHARE * abs(ref - rule.threshold), 0.001 * rule.threshold, 0.01)


def _threshold(rule: AccountRule, acc: AccountState, at: datetime, value: float, band: float) -> AccountOutcome:
    s = rule.state
    rising = rule.metric is AccountMetric.EQUITY_ABOVE
    past = value > rule.threshold if rising else value < rule.threshold
    first = s.ref_value is None
    woke = s.dormant
    armed = s.armed or woke  # a margin rule arms on the first defined value after dormancy
    base = replace(s, dormant=False, armed=armed, ref_value=value if first else s.ref_value)
    if armed and past:
        extra: tuple[str, ...] = ()
        if woke:
            extra = ("It was already past the threshold when the margin level became defined (positions opened).",)
        elif first:
            extra = ("It was already past the threshold when the alert was set.",)
        new_state = replace(
            base, armed=False, fire_seq=s.fire_seq + 1, last_fired_at=at, rearm_band=band,
            done=rule.mode is Mode.ONCE, recent_fires=_recent(s.recent_fires, at),
        )
        fired_rule = replace(rule, state=new_state)
        firing = account_firing(fired_rule, value=value, currency=acc.currency, fire_seq_before=s.fire_seq, at=at,
                                extra=extra)
        return AccountOutcome(fired_rule, True, firing)
    if not armed:
        stored_band = s.rearm_band if s.rearm_band is not None else band
        recovered = value <= rule.threshold - stored_band if rising else value >= rule.threshold + stored_band
        if recovered:
            return _changed(rule, replace(base, armed=True))
    if base != s:
        return _changed(rule, base)
    return AccountOutcome(rule, False)


def _drawdown(rule: AccountRule, acc: AccountState, at: datetime) -> AccountOutcome:
    s = rule.state
    day = trading_day_id(at, rule.anchor_tz, rule.anchor_hour, rule.anchor_minute)
    base = s
    if s.day_id != day or s.day_start_balance is None:
        base = replace(s, day_id=day, day_start_balance=acc.balance, armed=True)
    start = base.day_start_balance or 0.0
    loss = start - acc.equity
    value = (loss / start * 100.0 if start > 0 else 0.0) if rule.percent else loss
    if base.armed and value >= rule.threshold:
        new_state = replace(base, armed=False, fire_seq=s.fire_seq + 1, last_fired_at=at,
                            recent_fires=_recent(s.recent_fires, at))
        fired_rule = replace(rule, state=new_state)
        extra = (
            f"Equity {acc.equity:,.2f} {acc.currency}, day started with balance {start:,.2f} (trading day {day}).",
        )
        firing = account_firing(fired_rule, value=value, currency=acc.currency, fire_seq_before=s.fire_seq, at=at,
                                extra=extra)
        return AccountOutcome(fired_rule, True, firing)
    if base != s:
        return _changed(rule, base)
    return AccountOutcome(rule, False)


def _changed(rule: AccountRule, state: FireState) -> AccountOutcome:
    return AccountOutcome(replace(rule, state=state), True)


def _recent(previous: tuple[float, ...], at: datetime, window_s: float = 180.0) -> tuple[float, ...]:
    now = at.timestamp()
    return (*(t for t in previous if t > now - window_s), now)
