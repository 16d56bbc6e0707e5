"""Rules loaded at a cold start, waiting for their book's first price: the few that price can change, by bisection.

A rule loaded without a book price is judged on the book's first quote against its own remembered
price (`PriceRuleTable.last`). Such a judgement can only change a rule whose state entry lies on
the far side of the first price: a rise to `points` (an `up` key) or a fall to it (a `down` key).
Keys are gathered while loading; the first quote bisects them instead of judging every rule.
"""

from __future__ import annotations

from array import array
from collections import deque
from itertools import repeat

from fxbot.alerts.price_table import ABOVE, BELOW, F_ARMED, REPEAT, PriceRuleTable
from fxbot.alerts.threshold_index import ThresholdIndex

_LOWEST, _HIGHEST = -(2**62), 2**62


class ColdSync:
    """One book's loaded rules that no price has judged yet, keyed where a first price may change them.

    `up` holds (points, slot) of rules a first price >= points may change, `down` those a first price
    <= points may change (a superset of what changes: each found rule is judged exactly by step()).
    `left` holds slots that stopped waiting before the first price (removed, paused, judged alone).
    """

    __slots__ = ("down", "left", "up")

    def __init__(self) -> None:
        self.up = ThresholdIndex()
        self.down = ThresholdIndex()
        self.left: set[int] = set()

    def add(self, up: ThresholdIndex, up_slots: array[int], down: ThresholdIndex, down_slots: array[int],
            size: int) -> None:
        """Add the keys of the slots given: each is the slot's entry in the book's index of that direction, so
        they are taken from those indexes in their order (no sort); `size` bounds the slot numbers."""
        for index, slots, keys in ((up, up_slots, self.up), (down, down_slots, self.down)):
            if not slots:
                continue
            marked = bytearray(size)
            deque(map(marked.__setitem__, slots, repeat(1)), maxlen=0)  # C-level: no loop per slot
            points, chosen = index.select(marked)
            if len(keys):
                keys.merge(points, chosen)
            else:
                keys.extend_sorted(points, chosen)

    def changed_by(self, cur: int) -> list[int]:
        """The waiting slots a first price `cur` may change, ascending (the load's id order): O(log n + found)."""
        found = set(self.up.between(_LOWEST, cur))
        found.update(self.down.between(cur, _HIGHEST))
        found.difference_update(self.left)
        return sorted(found)


def first_price_keys(table: PriceRuleTable, slot: int, up: tuple[int, ...],
                     down: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The (up, down) keys of a waiting rule whose index entries are (up, down) (see PriceRuleStore.entries).

    A repeat rule changes only by entering its state; an armed crossing only when its remembered price
    lies on the other side of its level (an unknown one counts as below it: step() judges it exactly);
    anything else (above/below, a disarmed rule's re-arm points) keeps its entries.
    """
    cond = table.condition[slot]
    if table.mode[slot] == REPEAT:
        return (up, ()) if cond == ABOVE else ((), down)
    if not table.flags[slot] & F_ARMED or cond in (ABOVE, BELOW):
        return up, down
    own, level = table.last[slot], table.level[slot]
    return (up if own < level else ()), (down if own > level else ())
