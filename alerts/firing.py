"""A rule firing (or expiring, or being paused as a runaway) and its conversion to a Notification."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import lru_cache

from fxbot.alerts.rules import (
    AccountMetric,
    AccountRule,
    FireState,
    Mode,
    PriceCondition,
    PriceRule,
    PriceSide,
    Rule,
)
from fxbot.domain.instruments import instrument
from fxbot.domain.redaction import redact_secrets
from fxbot.notify.actions import price_alert_actions
from fxbot.notify.notification import Notification, NotificationAction, Severity

KIND_PRICE = "price_alert"
KIND_MARGIN = "margin_alert"
KIND_EQUITY = "equity_alert"
KIND_DRAWDOWN = "drawdown_alert"
KIND_EXPIRED = "expired"
KIND_RUNAWAY = "runaway"
GAP_LINE = "This happened while the price stream was disconnected."


class Firing:
    """One decision of the engine for one chat (treat it as immutable).

    `rule` is the rule as it is after this firing (`rule.state` is the fire state to persist once
    the notification is enqueued). `dedupe_key` is built from the durable state before the firing:
    "alert:{rule_id}:{fire_seq}", "expired:{rule_id}" or "runaway:{rule_id}:{fire_seq}".

    The engine makes price firings with `deferred`: the decision (chat, rule id, dedupe key, kind)
    is set at once and the rule object, title and lines are built from a snapshot taken at firing
    time when first read, so a flood of firings does not stall the quote path on text formatting.
    """

    __slots__ = ("_build", "_lines", "_rule", "_title", "after_gap", "at", "chat_id", "dedupe_key", "kind",
                 "rule_id", "severity")

    def __init__(
        self, rule: Rule, kind: str, severity: Severity, title: str, lines: tuple[str, ...], dedupe_key: str,
        at: datetime, after_gap: bool = False,
    ) -> None:
        self._rule: Rule | None = rule
        self._title = title
        self._lines = lines
        self._build: Callable[[], Firing] | None = None
        self.kind = kind
        self.severity = severity
        self.dedupe_key = dedupe_key
        self.at = at
        self.after_gap = after_gap
        self.chat_id = rule.chat_id
        self.rule_id = rule.id

    @classmethod
    def deferred(
        cls, build: Callable[[], Firing], *, chat_id: str, rule_id: int, kind: str, severity: Severity,
        dedupe_key: str, at: datetime, after_gap: bool = False,
    ) -> Firing:
        """A firing whose rule, title and lines come from `build()` when first read."""
        made = cls.__new__(cls)
        made._rule = None
        made._title = ""
        made._lines = ()
        made._build = build
        made.kind = kind
        made.severity = severity
        made.dedupe_key = dedupe_key
        made.at = at
        made.after_gap = after_gap
        made.chat_id = chat_id
        made.rule_id = rule_id
        return made

    def _built(self) -> Rule:
        if self._build is not None:
            full = self._build()
            self._rule, self._title, self._lines, self._build = full.rule, full.title, full.lines, None
        assert self._rule is not None
        return self._rule

    @property
    def rule(self) -> Rule:
        return self._built()

    @property
    def title(self) -> str:
        self._built()
        return self._title

    @property
    def lines(self) -> tuple[str, ...]:
        self._built()
        return self._lines

    @property
    def state(self) -> FireState:
        return self.rule.state

    def _fields(self) -> tuple[object, ...]:
        return (self.rule, self.kind, self.severity, self.title, self.lines, self.dedupe_key, self.at, self.after_gap)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Firing):
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash((self.kind, self.dedupe_key, self.at))

    def __repr__(self) -> str:
        return (f"Firing(rule_id={self.rule_id}, kind={self.kind!r}, dedupe_key={self.dedupe_key!r}, "
                f"title={self.title!r})")

    def to_notification(self, *, thread_id: str | None = None) -> Notification:
        return Notification(
            chat_id=self.chat_id,
            severity=self.severity,
            title=self.title,
            lines=self.lines,
            dedupe_key=self.dedupe_key,
            kind=self.kind,
            created_at=self.at,
            thread_id=thread_id,
            actions=self._actions(),
        )

    def _actions(self) -> tuple[NotificationAction, ...]:
        """Snooze 1h / Delete (an alert that stays set) and Buy / Sell at the symbol's minimum volume."""
        rule = self.rule
        if self.kind != KIND_PRICE or not isinstance(rule, PriceRule):
            return ()
        if rule.mode is Mode.ONCE:
            return _trade_actions(rule.symbol)
        return price_alert_actions(rule.id, rule.symbol, _min_volume(rule.symbol))


@lru_cache(maxsize=256)
def _min_volume(symbol: str) -> str:
    spec = instrument(symbol)
    return f"{spec.min_volume if spec else 0.01:g}"


@lru_cache(maxsize=256)
def _trade_actions(symbol: str) -> tuple[NotificationAction, ...]:
    """Buy and Sell at the symbol's minimum volume (the same for every alert on the symbol: made once)."""
    return price_alert_actions(0, symbol, _min_volume(symbol))[2:]


def describe_rule(rule: Rule) -> str:
    """One line naming what a rule watches ("EURUSD bid above 1.09000", "margin level < 150%")."""
    if isinstance(rule, PriceRule):
        return f"{rule.symbol} {rule.side.value} {rule.condition.words} {rule.format_points(rule.level_points)}"
    return describe_account_rule(rule)


def describe_account_rule(rule: AccountRule) -> str:
    t = rule.threshold
    if rule.metric is AccountMetric.MARGIN_LEVEL:
        return f"margin level < {t:g}%"
    if rule.metric is AccountMetric.FREE_MARGIN:
        return f"free margin < {t:,.2f}"
    if rule.metric is AccountMetric.EQUITY_BELOW:
        return f"equity < {t:,.2f}"
    if rule.metric is AccountMetric.EQUITY_ABOVE:
        return f"equity > {t:,.2f}"
    amount = f"{t:g}%" if rule.percent else f"{t:,.2f}"
    return f"daily drawdown {amount} (day starts {rule.anchor_hour:02d}:{rule.anchor_minute:02d} {rule.anchor_tz})"


_VERBS = {
    PriceCondition.ABOVE: "is above",
    PriceCondition.BELOW: "is below",
    PriceCondition.CROSS: "crossed",
    PriceCondition.CROSS_UP: "crossed up through",
    PriceCondition.CROSS_DOWN: "crossed down through",
}
_SIDE_WORDS = {side: (side.value.capitalize(), side.value) for side in PriceSide}
_CONDITION_WORDS = {condition: condition.words for condition in PriceCondition}
_LEVEL_STATES = (PriceCondition.ABOVE, PriceCondition.BELOW)
ONCE_LINE = "One-time alert: it is now done."
NEXT_CROSSING_LINE = "Fires again on the next crossing."


def price_firing(
    rule: PriceRule, *, price_points: int, prev_points: int | None, fire_seq_before: int, at: datetime,
    after_gap: bool, rearm_points: tuple[int, ...] = (),
) -> Firing:
    """The firing of a price rule at `price_points` (the rule carries its new state).

    Built once per firing in the writer's burst: the level is formatted once and the words come from tables."""
    digits = rule.digits
    scale = 10.0**digits
    level = f"{rule.level_points / scale:.{digits}f}"
    condition = rule.condition
    verb = _VERBS[condition]
    if price_points == rule.level_points and condition in _LEVEL_STATES:
        verb = "reached"
    symbol = rule.symbol
    side_title, side = _SIDE_WORDS[rule.side]
    lines = [f"{side_title} {price_points / scale:.{digits}f} (alert #{rule.id}: "
             f"{symbol} {side} {_CONDITION_WORDS[condition]} {level})"]
    if after_gap:
        since = f" (last price before the outage {prev_points / scale:.{digits}f})" if prev_points is not None else ""
        lines.append(GAP_LINE + since)
    mode = rule.mode
    if mode is Mode.ONCE:
        lines.append(ONCE_LINE)
    elif mode is Mode.EVERY:
        if rearm_points:
            where = " or ".join(f"{p / scale:.{digits}f}" for p in rearm_points)
            lines.append(f"Fires again after the price moves back to {where}.")
        else:
            lines.append(NEXT_CROSSING_LINE)
    else:
        lines.append(f"Repeats every {rule.repeat_minutes} min while this holds.")
    if rule.note:
        lines.append(f"Note: {redact_secrets(rule.note)}")
    return Firing(
        rule=rule, kind=KIND_PRICE, severity=Severity.INFO, title=f"{symbol} {verb} {level}", lines=tuple(lines),
        dedupe_key=f"alert:{rule.id}:{fire_seq_before}", at=at, after_gap=after_gap,
    )


def account_firing(
    rule: AccountRule, *, value: float, currency: str, fire_seq_before: int, at: datetime, extra: tuple[str, ...] = ()
) -> Firing:
    """The firing of a margin, equity or drawdown rule at `value`."""
    metric = rule.metric
    if metric is AccountMetric.MARGIN_LEVEL:
        kind, severity = KIND_MARGIN, Severity.CRITICAL
        title = f"Margin level {value:,.1f}% (below {rule.threshold:g}%)"
    elif metric is AccountMetric.FREE_MARGIN:
        kind, severity = KIND_MARGIN, Severity.WARNING
        title = f"Free margin {value:,.2f} {currency} (below {rule.threshold:,.2f})"
    elif metric is AccountMetric.DRAWDOWN:
        unit = "%" if rule.percent else f" {currency}"
        shown = f"{value:,.2f}{unit}"
        kind, severity, title = KIND_DRAWDOWN, Severity.CRITICAL, f"Daily drawdown {shown} reached"
    else:
        word = "below" if metric is AccountMetric.EQUITY_BELOW else "above"
        kind, severity = KIND_EQUITY, Severity.WARNING
        title = f"Equity {value:,.2f} {currency} ({word} {rule.threshold:,.2f})"
    lines = [f"Alert #{rule.id}: {describe_account_rule(rule)}", *extra]
    if rule.mode is Mode.ONCE and metric is not AccountMetric.DRAWDOWN:
        lines.append("One-time alert: it is now done.")
    if rule.note:
        lines.append(f"Note: {redact_secrets(rule.note)}")
    return Firing(
        rule=rule, kind=kind, severity=severity, title=title, lines=tuple(lines),
        dedupe_key=f"alert:{rule.id}:{fire_seq_before}", at=at,
    )


def expired_firing(rule: Rule, at: datetime) -> Firing:
    """The one report that a rule expired without (or after) firing."""
    fired = rule.state.fire_seq
    how = "it never fired" if fired == 0 else f"it fired {fired} time{'s' if fired != 1 else ''}"
    return Firing(
        rule=rule, kind=KIND_EXPIRED, severity=Severity.INFO, title=f"Alert #{rule.id} expired",
        lines=(f"{describe_rule(rule)}: {how}.",), dedupe_key=f"expired:{rule.id}", at=at,
    )


def runaway_firing(rule: Rule, at: datetime, fires: int, window_s: int) -> Firing:
    """The notice that a rule fired too often and was paused."""
    return Firing(
        rule=rule, kind=KIND_RUNAWAY, severity=Severity.WARNING, title=f"Alert #{rule.id} paused",
        lines=(
            f"{describe_rule(rule)} fired {fires} times in {window_s // 60} minutes, so it was paused.",
            f"Resume it with /alert resume {rule.id} (consider a wider level or mode once).",
        ),
        dedupe_key=f"runaway:{rule.id}:{rule.state.fire_seq}", at=at,
    )
