"""Cold start of the price evaluator: columns appended to the table in bulk, index entries sorted once at the end.

The result is exactly what `PriceEvaluator.insert` of the same rules in id order gives (same
slots, same index order, same rules waiting for their first price), without a rule object per row.
"""

from __future__ import annotations

import operator
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from functools import cache
from itertools import compress
from typing import Any

from fxbot.alerts.price_columns import PriceColumns
from fxbot.alerts.price_eval import PriceEvaluator
from fxbot.alerts.price_store import PendingEntries
from fxbot.alerts.price_sync import ColdSync, first_price_keys
from fxbot.alerts.price_table import (
    ABOVE,
    BELOW,
    CONDITIONS,
    CROSS,
    CROSS_DOWN,
    CROSS_UP,
    F_ARMED,
    F_LIVE,
    F_PAUSED,
    ONCE,
    REPEAT,
)
from fxbot.alerts.rules import PriceSide

_PLAIN = F_LIVE | F_ARMED
_ENTRY_OFFSETS: tuple[tuple[tuple[int, ...], tuple[int, ...]], ...] = (
    ((0,), ()), ((), (0,)), ((0,), (0,)), ((0,), (-1,)), ((1,), (0,)))
"""The (up, down) entries of an armed rule, as offsets from its level, by entry kind (see PriceEvaluator.entries)."""


def _entry_kind(cond: int, mode: int) -> int:
    if mode == REPEAT:
        return 3 if cond == ABOVE else 4
    if cond in (ABOVE, CROSS_UP):
        return 0
    if cond in (BELOW, CROSS_DOWN):
        return 1
    return 2


_KIND_BY_CONDITION = bytes(_entry_kind(c, ONCE) for c in range(len(CONDITIONS))).ljust(256, b"\0")
_REPEAT_KIND = {c: _entry_kind(c, REPEAT) for c in range(len(CONDITIONS))}
_COLD_REPEAT_ABOVE, _COLD_REPEAT_BELOW = len(CONDITIONS), len(CONDITIONS) + 1
"""First-price key kinds of armed rules: the condition's code, or one of the two repeat kinds."""
_SELECT = tuple(bytes(int(i == kind) for i in range(256)) for kind in range(len(_ENTRY_OFFSETS)))


@cache
def _selector(*kinds: int) -> bytes:
    """A bytes.translate table: 1 for the kinds given, 0 for any other."""
    return bytes(int(i in kinds) for i in range(256))


def load_columns(evaluator: PriceEvaluator, cols: PriceColumns) -> tuple[int, list[tuple[float, int]]]:
    """Append rules (ascending ids) without judging them; call finish_loading() after the last chunk.

    Returns the number of rules added and the (expiry epoch, id) pairs of those that expire.
    """
    n = len(cols)
    if not n:
        return 0, []
    expiries = [(when, rule_id) for rule_id, when in cols.expires.items()]
    if expiries:
        evaluator.expiry_floor = min(evaluator.expiry_floor, min(expiries)[0])
    t = evaluator.table
    index = evaluator.index
    keys = list(zip(cols.account, cols.symbol, cols.side, strict=True))
    first_row = dict(zip(reversed(keys), range(n - 1, -1, -1), strict=True))  # key -> its first row
    numbers: dict[tuple[str, str, str], int] = {}
    for key, row in sorted(first_row.items(), key=lambda item: item[1]):
        numbers[key] = index.book_number(key[0], key[1], PriceSide(key[2]), cols.digits[row])
    book_col = array("H", map(numbers.__getitem__, keys))
    ids = array("q", cols.ids)
    band = array("i", [-1]) * n
    for rule_id, value in cols.rearm_band.items():
        band[bisect_left(ids, rule_id)] = round(value)
    flags = array("B", cols.flags)
    slots = t.extend((ids, array("q", cols.level), array("q", cols.last), array("q", cols.created_us),
                      array("I", cols.fire_seq), t.intern_all(cols.chat), t.intern_all(cols.owner), band, book_col,
                      array("B", cols.condition), array("B", cols.mode), flags))
    if slots is None:  # the engine already holds later ids or has free slots: one by one
        for k in range(n):
            evaluator.insert(cols.rule_at(k))
        return n, expiries
    first = slots.start
    sparse: tuple[tuple[dict[int, Any], dict[int, Any]], ...] = (
        (cols.hysteresis, t.user_band), (cols.repeat, t.repeat), (cols.expires, t.expires),
        (cols.last_fired, t.last_fired), (cols.notes, t.notes), (cols.recent, t.recent))
    for source, target in sparse:
        for rule_id, value in source.items():
            target[first + bisect_left(ids, rule_id)] = value
    order = range(n) if len(numbers) == 1 else sorted(range(n), key=book_col.__getitem__)
    sorted_books = book_col if len(numbers) == 1 else array("H", map(book_col.__getitem__, order))
    plain = flags.count(_PLAIN) == n
    level = t.level
    for number in numbers.values():
        lo = bisect_left(sorted_books, number)
        hi = bisect_right(sorted_books, number, lo)
        book_slots = array("i", map(first.__add__, order[lo:hi]))
        pending = evaluator.pending.setdefault(number, PendingEntries())
        book = index.books[number]
        if plain:
            book.live += len(book_slots)
            pending.slots.extend(book_slots)
            _add_plain(pending, book_slots, t.condition, t.mode, level, t.last)
            continue
        for slot in book_slots:  # paused or disarmed rules in this chunk: slot by slot, in id order
            if t.flags[slot] & F_PAUSED:
                continue
            book.live += 1
            up, down = evaluator.entries(slot)
            pending.add(slot, up, down, *first_price_keys(t, slot, up, down))
    return n, expiries


def _add_plain(pending: PendingEntries, slots: array[int], conditions: array[int], modes: array[int],
               levels: array[int], lasts: array[int]) -> None:
    """The entries and first-price keys of armed, unpaused rules, grouped by their kind with C-level passes
    (no loop per rule)."""
    rule_conditions = bytes(map(conditions.__getitem__, slots))
    kinds = bytearray(rule_conditions.translate(_KIND_BY_CONDITION))
    cold_kinds = bytearray(rule_conditions)
    rule_modes = bytes(map(modes.__getitem__, slots))
    at = rule_modes.find(REPEAT)
    while at >= 0:  # repeat rules (a few percent) have entries of their own
        kinds[at] = _REPEAT_KIND[conditions[slots[at]]]
        cold_kinds[at] = _COLD_REPEAT_ABOVE if conditions[slots[at]] == ABOVE else _COLD_REPEAT_BELOW
        at = rule_modes.find(REPEAT, at + 1)
    _add_cold_plain(pending, slots, cold_kinds, levels, lasts)
    for kind, (up, down) in enumerate(_ENTRY_OFFSETS):
        group = array("i", compress(slots, kinds.translate(_SELECT[kind])))
        if not group:
            continue
        points = array("q", map(levels.__getitem__, group))
        for offsets, target_points, target_slots in ((up, pending.up_points, pending.up_slots),
                                                     (down, pending.down_points, pending.down_slots)):
            for offset in offsets:
                target_points.extend(points if not offset else map(offset.__add__, points))
                target_slots.extend(group)


def _add_cold_plain(pending: PendingEntries, slots: array[int], cold_kinds: bytearray, levels: array[int],
                    lasts: array[int]) -> None:
    """The first-price keys (alerts.price_sync.first_price_keys) of armed, unpaused rules, by kind, in C-level
    passes: a crossing is kept only on the side its remembered price must cross."""
    groups = (  # (kinds selected, filtered by the remembered price, below the level, keys)
        (_selector(ABOVE, _COLD_REPEAT_ABOVE), False, True, pending.cold_up_slots),
        (_selector(CROSS_UP, CROSS), True, True, pending.cold_up_slots),
        (_selector(BELOW, _COLD_REPEAT_BELOW), False, False, pending.cold_down_slots),
        (_selector(CROSS_DOWN, CROSS), True, False, pending.cold_down_slots),
    )
    for kinds, filtered, below, target in groups:
        selected = cold_kinds.translate(kinds)
        if not filtered:
            target.extend(compress(slots, selected))
            continue
        group = array("i", compress(slots, selected))
        owns = map(lasts.__getitem__, group)
        keep = bytes(map(operator.lt if below else operator.gt, owns, map(levels.__getitem__, group)))
        target.extend(compress(group, keep))


def finish_loading(evaluator: PriceEvaluator) -> None:
    """Sort the index entries gathered by load_columns into their books (once, after the last chunk); the
    rules wait for their book's first price in its cold sync (or, when the book has a price already, in
    its `unsynced` list)."""
    for _ in finish_loading_books(evaluator):
        pass


def finish_loading_books(evaluator: PriceEvaluator) -> Iterator[int]:
    """finish_loading() one book at a time: yields each book's number once it is ready, so a cold start can let
    the event loop run between two books (each is a fraction of the whole load's work)."""
    pending_books = evaluator.pending
    while pending_books:
        number = next(iter(pending_books))
        pending = pending_books.pop(number)  # its buffers are freed with it once the book holds its entries
        book = evaluator.index.books[number]
        book.up.merge(pending.up_points, pending.up_slots)
        book.down.merge(pending.down_points, pending.down_slots)
        if book.last is not None:
            book.unsynced.extend(pending.slots)
        else:
            if book.cold is None:
                book.cold = ColdSync()
            book.cold.add(book.up, pending.cold_up_slots, book.down, pending.cold_down_slots,
                          len(evaluator.table.ids))
        del pending
        yield number
