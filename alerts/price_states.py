"""Quiet fire-state changes of price rules: pause and resume in place, and the changed states taken for storing."""

from __future__ import annotations

from fxbot.alerts.price_eval import PriceEvaluator
from fxbot.alerts.price_table import F_ARMED, F_PAUSED, NO_POINTS
from fxbot.alerts.rules import FireState


def pause_price_rule(prices: PriceEvaluator, slot: int) -> bool:
    """Pause the rule in `slot` (it keeps its place but leaves the index); False if already paused."""
    flags = prices.table.flags[slot]
    if flags & F_PAUSED:
        return False
    book = prices.book_of(slot)
    prices.index_remove(slot)
    prices.forget_unsynced(book, slot)
    prices.table.flags[slot] = flags | F_PAUSED
    book.live -= 1
    prices.dirty.add(prices.table.ids[slot])
    return True


def resume_price_rule(prices: PriceEvaluator, slot: int) -> bool:
    """Resume the paused rule in `slot`, freshly armed: edges are judged from the book's current price."""
    flags = prices.table.flags[slot]
    if not flags & F_PAUSED:
        return False
    book = prices.book_of(slot)
    prices.table.flags[slot] = (flags & ~F_PAUSED) | F_ARMED
    prices.table.last[slot] = NO_POINTS if book.last is None else book.last
    prices.table.recent.pop(slot, None)
    book.live += 1
    prices.index_add(slot)
    book.unsynced.append(slot)
    prices.dirty.add(prices.table.ids[slot])
    return True


def take_price_state_changes(prices: PriceEvaluator, into: dict[int, FireState]) -> None:
    """Add the states of the price rules changed quietly since the last call (still watched) to `into`."""
    table = prices.table
    for rule_id in prices.dirty:
        slot = table.slot_of(rule_id)
        if slot is not None:
            into[rule_id] = table.state_of(slot)
    prices.dirty.clear()
