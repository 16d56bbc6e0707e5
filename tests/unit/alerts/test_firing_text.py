"""A price firing's title, lines and buttons: the burst writer's table-driven build says what a plain one says."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from fxbot.alerts.firing import GAP_LINE, describe_rule, price_firing
from fxbot.alerts.rules import FireState, Mode, PriceCondition, PriceRule, PriceSide
from fxbot.domain.instruments import INSTRUMENTS, instrument
from fxbot.domain.redaction import redact_secrets
from fxbot.notify.actions import price_alert_actions

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def _reference_text(rule: PriceRule, price: int, prev: int | None, gap: bool,
                    rearm: tuple[int, ...]) -> tuple[str, tuple[str, ...]]:
    """The message written out the plain way, one call per formatted value."""
    fmt = rule.format_points
    verb = {
        PriceCondition.ABOVE: "is above", PriceCondition.BELOW: "is below", PriceCondition.CROSS: "crossed",
        PriceCondition.CROSS_UP: "crossed up through", PriceCondition.CROSS_DOWN: "crossed down through",
    }[rule.condition]
    if rule.condition in (PriceCondition.ABOVE, PriceCondition.BELOW) and price == rule.level_points:
        verb = "reached"
    lines = [f"{rule.side.value.capitalize()} {fmt(price)} (alert #{rule.id}: {describe_rule(rule)})"]
    if gap:
        lines.append(GAP_LINE + (f" (last price before the outage {fmt(prev)})" if prev is not None else ""))
    if rule.mode is Mode.ONCE:
        lines.append("One-time alert: it is now done.")
    elif rule.mode is Mode.EVERY:
        lines.append(f"Fires again after the price moves back to {' or '.join(fmt(p) for p in rearm)}." if rearm
                     else "Fires again on the next crossing.")
    else:
        lines.append(f"Repeats every {rule.repeat_minutes} min while this holds.")
    if rule.note:
        lines.append(f"Note: {redact_secrets(rule.note)}")
    return f"{rule.symbol} {verb} {fmt(rule.level_points)}", tuple(lines)


def _random_rule(rng: random.Random, rule_id: int) -> PriceRule:
    spec = rng.choice(list(INSTRUMENTS.values()))
    condition = rng.choice(list(PriceCondition))
    modes = [Mode.ONCE, Mode.EVERY] + ([] if condition.is_edge else [Mode.REPEAT])
    mode = rng.choice(modes)
    level = spec.to_points(spec.reference_price) + rng.randint(-500, 500)
    return PriceRule(
        id=rule_id, chat_id="telegram:-1001", owner_id="telegram:42", account_id="acc", created_at=T0,
        symbol=spec.symbol, digits=spec.digits, side=rng.choice(list(PriceSide)), condition=condition,
        level_points=level, mode=mode, repeat_minutes=rng.choice((1, 5, 60)) if mode is Mode.REPEAT else None,
        note=rng.choice((None, "breakout", "key sk_live_abcdefghijklmnopqrstuvwx")),
        state=FireState(fire_seq=rng.randint(0, 5)),
    )


@pytest.mark.parametrize("seed", range(5))
def test_price_firing_text_and_buttons_match_the_plain_build(seed: int) -> None:
    rng = random.Random(seed)
    for rule_id in range(1, 400):
        rule = _random_rule(rng, rule_id)
        price = rule.level_points + rng.choice((0, 0, 1, -1, rng.randint(-50, 50)))
        gap = rng.random() < 0.3
        prev = rng.choice((None, rule.level_points - 7)) if gap else None
        rearm = tuple(rng.sample(range(rule.level_points - 30, rule.level_points + 30), rng.randint(0, 2)))
        firing = price_firing(rule, price_points=price, prev_points=prev, fire_seq_before=rule.state.fire_seq - 1,
                              at=T0, after_gap=gap, rearm_points=rearm)
        assert (firing.title, firing.lines) == _reference_text(rule, price, prev, gap, rearm)
        spec = instrument(rule.symbol)
        expected = price_alert_actions(rule.id, rule.symbol, f"{spec.min_volume if spec else 0.01:g}")
        notification = firing.to_notification()
        assert notification.actions == (expected[2:] if rule.mode is Mode.ONCE else expected)
        assert "sk_live_abcdefghijklmnopqrstuvwx" not in "\n".join(notification.lines)
