"""Expiry of watched rules: a heap of (expiry epoch, rule id); each expired rule is reported once and dropped."""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from fxbot.alerts.account_rules import AccountRules
from fxbot.alerts.firing import Firing, expired_firing
from fxbot.alerts.price_eval import PriceEvaluator
from fxbot.alerts.rules import AccountRule, PriceRule, Rule


class RuleExpiry:
    """When each rule with an expiry expires; a removed rule's entry stays and is skipped when due."""

    __slots__ = ("_heap",)

    def __init__(self) -> None:
        self._heap: list[tuple[float, int]] = []

    def push(self, rule: PriceRule | AccountRule) -> None:
        if rule.expires_at is not None:
            heapq.heappush(self._heap, (rule.expires_at.timestamp(), rule.id))

    def push_loaded(self, expiries: Iterable[tuple[float, int]]) -> None:
        """(expiry epoch, rule id) pairs of rules loaded column by column."""
        for item in expiries:
            heapq.heappush(self._heap, item)

    def expire_due(self, prices: PriceEvaluator, accounts: AccountRules, now: datetime,
                   most: int | None) -> list[Firing]:
        """Report (once) every rule whose expiry has passed and stop watching it (at most `most`: the rest stay
        due for the next call); the price evaluator's expiry floor follows the earliest left."""
        heap = self._heap
        fired: list[Firing] = []
        limit = now.timestamp()
        while heap and heap[0][0] <= limit and (most is None or len(fired) < most):
            _, rule_id = heapq.heappop(heap)
            slot = prices.table.slot_of(rule_id)
            if slot is not None:
                live_rule = prices.rule_at(slot)
                rule: Rule = replace(
                    live_rule, state=replace(live_rule.state, expired_reported=True, done=True, armed=False)
                )
                prices.drop(slot)
                prices.dirty.discard(rule_id)
            else:
                expired = accounts.expire(rule_id)
                if expired is None:
                    continue
                rule = expired
            fired.append(expired_firing(rule, now))
        prices.expiry_floor = heap[0][0] if heap else math.inf
        return fired
