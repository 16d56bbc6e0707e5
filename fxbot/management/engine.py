"""Pure evaluation of a managed-stop rule: given the rule and a quote, the stop it wants (never backwards)."""

from __future__ import annotations

from dataclasses import dataclass

from fxbot.management.rules import ManagedRule, RuleKind


@dataclass(frozen=True, slots=True)
class Evaluation:
    """What one quote means for a rule: its (possibly new) best price and the stop to send (None: none)."""

    best_points: int | None
    stop_points: int | None


def closing_points(rule: ManagedRule, bid_points: int, ask_points: int) -> int:
    """The price the position would close at: the bid for a BUY, the ask for a SELL."""
    return bid_points if rule.direction > 0 else ask_points


def profit_points(rule: ManagedRule, close_points: int) -> int:
    """How far the closing price is from the entry in the position's favour."""
    return rule.direction * (close_points - rule.entry_points)


def evaluate(rule: ManagedRule, bid_points: int, ask_points: int, *, min_distance_points: int = 0) -> Evaluation:
    """The stop this quote calls for, if any.

    Never backwards: a wanted stop is only returned when it is strictly better (in the position's favour)
    than `rule.stop_points`, at least `step_points` better for a trailing rule (and than a refused
    `failed_points`, so a broker that keeps refusing is not asked on every tick), and at least
    `min_distance_points` (and one point) away from the closing price."""
    d = rule.direction
    close = closing_points(rule, bid_points, ask_points)
    profit = profit_points(rule, close)
    best = rule.best_points
    limit = close - d * max(min_distance_points, 1)  # the best stop the broker accepts now
    if rule.kind is RuleKind.BREAKEVEN:
        if profit < rule.trigger_points:
            return Evaluation(best, None)
        wanted = rule.entry_points + d * rule.offset_points
        if d * wanted > d * limit:  # not far enough in profit to place it yet: wait
            return Evaluation(best, None)
        step = 1
    else:
        if best is None and profit < rule.trigger_points:
            return Evaluation(None, None)
        best = close if best is None else (max(best, close) if d > 0 else min(best, close))
        wanted = best - d * rule.distance_points
        if d * wanted > d * limit:
            wanted = limit
        step = max(rule.step_points, 1)
    if rule.stop_points is not None and d * (wanted - rule.stop_points) < step:
        return Evaluation(best, None)
    for ref in (rule.failed_points, rule.pending_points):  # refused, or already on its way: a step beyond
        if ref is not None and d * (wanted - ref) < step:
            return Evaluation(best, None)
    return Evaluation(best, wanted)


NOW = 2**62
"""A price every closing price has passed: `-NOW` for a BUY (due at once), `NOW` for a SELL."""


def _ahead(d: int, *levels: int | None) -> int | None:
    """The level furthest in the position's favour (None when none is given)."""
    given = [level for level in levels if level is not None]
    if not given:
        return None
    return max(given) if d > 0 else min(given)


def next_due(rule: ManagedRule, *, min_distance_points: int = 0) -> int | None:
    """The nearest closing price (points) at which `evaluate` can want a stop, or None when it never can.

    Below it (for a BUY; above it for a SELL) every quote leaves the rule as it is, so quotes need not judge
    the rule until the closing price reaches it: a trailing rule's best price only matters once it moves
    the stop, so it may be taken at that moment."""
    d = rule.direction
    gap = max(min_distance_points, 1)
    ref = _ahead(d, rule.stop_points, rule.failed_points, rule.pending_points)
    activation = rule.entry_points + d * rule.trigger_points
    if rule.kind is RuleKind.BREAKEVEN:
        wanted = rule.entry_points + d * rule.offset_points
        if ref is not None and d * (wanted - ref) < 1:
            return None
        return _ahead(d, activation, wanted + d * gap)
    if ref is None:  # no stop yet: the first quote past activation sets one (at once when already active)
        return activation if rule.best_points is None else NOW * -d
    step = max(rule.step_points, 1)
    room = ref + d * (step + gap)  # the clamped stop must clear the reference by a step
    reach: int | None = ref + d * (rule.distance_points + step)  # how far the best price must get
    if rule.best_points is not None and reach is not None and d * rule.best_points >= d * reach:
        reach = None  # got there already (a move that was refused or is on its way)
    return _ahead(d, room, reach, None if rule.best_points is not None else activation)
