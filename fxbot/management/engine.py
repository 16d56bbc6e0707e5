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
    if rule.failed_points is not None and d * (wanted - rule.failed_points) < step:
        return Evaluation(best, None)
    return Evaluation(best, wanted)
