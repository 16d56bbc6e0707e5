"""The first quote after a cold start looks only at the loaded rules it can change (alerts.price_sync)."""

from __future__ import annotations

from dataclasses import replace

from fxbot.alerts.engine import AlertEngine
from fxbot.alerts.rules import FireState, Mode, PriceCondition, PriceSide
from tests.unit.alerts.factories import ACC, T0, price_rule
from tests.unit.alerts.test_engine_matches_reference import columns_of


def test_the_first_quote_finds_the_rules_it_changes_without_judging_the_others() -> None:
    rules = []
    for k in range(2_000):  # crossings waiting on both sides of 1.08000, remembered at 1.08000
        cond = (PriceCondition.CROSS_UP, PriceCondition.CROSS_DOWN, PriceCondition.CROSS)[k % 3]
        level = 108_000 + (k % 500 + 1) * (1 if cond is not PriceCondition.CROSS_DOWN else -1)
        rule = price_rule(k + 1, cond, level / 1e5, mode=Mode.EVERY if k % 2 else Mode.ONCE)
        rules.append(replace(rule, state=FireState(last_points=108_000)))
    # rules on the wrong side of their crossing: the first price cannot change them, whatever it is
    rules.append(replace(price_rule(2_001, PriceCondition.CROSS_UP, 1.07, mode=Mode.ONCE),
                         state=FireState(last_points=107_500)))
    engine = AlertEngine()
    engine.load_price_columns(columns_of(rules))
    engine.finish_loading()
    book = engine._prices.index.find(ACC, "EURUSD", PriceSide.BID)
    assert book is not None and book.cold is not None
    assert book.cold.changed_by(108_000) == []
    assert book.cold.changed_by(108_003) == [k for k in range(2_000) if k % 500 < 3 and k % 3 != 1]  # slots = ids - 1
    fired = engine.on_quote(ACC, "EURUSD", 1.08003, 1.08005, T0)
    assert book.cold is None
    assert sorted(f.rule_id for f in fired) == [k + 1 for k in range(2_000) if k % 500 < 3 and k % 3 != 1]
