"""The guard's judgement of one account state against its daily limits: pure, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from fxbot.guard.rules import GuardLimits
from fxbot.guard.state import GuardState, Phase, rolled

Action = Literal["none", "warn", "act"]


@dataclass(frozen=True, slots=True)
class Verdict:
    """The state to persist, what to do, and the figures the chats are told."""

    state: GuardState
    action: Action
    start_equity: float
    equity: float
    limit: float | None = None  # the money limit crossed (or warned about)
    reason: str = ""

    @property
    def changed(self) -> bool:
        return self.action != "none"


def evaluate(limits: GuardLimits, state: GuardState, equity: float, at: datetime, currency: str = "") -> Verdict:
    """Judge `equity` (floating P&L included) against the day's start equity.

    The first equity seen in a trading day is its start. An account already acting or blocked is left alone;
    crossing the loss limit (or the profit lock) moves it to acting, its warning level to warned (once a day)."""
    current = rolled(state, at)
    if current.day_start_equity is None:
        current = replace(current, day_start_equity=equity, changed_at=at)
    start = current.day_start_equity or equity
    if current.phase in (Phase.ACTING, Phase.BLOCKED):
        return Verdict(current, "none", start, equity)
    loss = start - equity
    if limits.daily_loss is not None:
        limit = limits.daily_loss.of(start)
        if loss >= limit:
            reason = (f"daily loss {loss:,.2f} {currency} reached the limit {limits.daily_loss.text(currency)} "
                      f"({limit:,.2f} {currency}) of the day's start equity {start:,.2f}")
            return Verdict(replace(current, phase=Phase.ACTING, trigger=reason, changed_at=at), "act", start, equity,
                           limit, reason)
        warn_at = limit * limits.warn_percent / 100.0
        if current.phase is Phase.ARMED and loss >= warn_at:
            reason = (f"daily loss {loss:,.2f} {currency} is {loss / limit * 100:.0f}% of the limit "
                      f"{limits.daily_loss.text(currency)} ({limit:,.2f} {currency})")
            return Verdict(replace(current, phase=Phase.WARNED, changed_at=at), "warn", start, equity, limit, reason)
    if limits.daily_profit is not None:
        target = limits.daily_profit.of(start)
        if -loss >= target:
            reason = (f"daily profit {-loss:,.2f} {currency} reached the lock {limits.daily_profit.text(currency)} "
                      f"({target:,.2f} {currency}) of the day's start equity {start:,.2f}")
            return Verdict(replace(current, phase=Phase.ACTING, trigger=reason, changed_at=at), "act", start, equity,
                           target, reason)
    return Verdict(current, "none", start, equity)
