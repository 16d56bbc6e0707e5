"""Judging one new or resumed price rule on a REST reading without moving its book: other rules never see it.

A reading taken over REST when a rule is set (or resumed) may be older than the last stream price
the book has judged: fed to the book as a tick it would move the price backwards and fire other
chats' crossings on a move that never happened. So a reading only ever concerns its own rule: the
rule is judged on the newer of the two prices and remembers that price as its own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from fxbot.alerts.firing import Firing
from fxbot.alerts.price_eval import PriceEvaluator
from fxbot.alerts.price_store import side_points
from fxbot.alerts.price_table import F_DONE, F_LIVE, F_PAUSED


@dataclass(frozen=True, slots=True)
class PriceReading:
    """A quote read over REST for one rule, and when it was asked for (the engine's clock, as its quotes)."""

    bid: float
    ask: float
    asked_at: datetime

    @property
    def usable(self) -> bool:
        return 0.0 < self.bid < math.inf and 0.0 < self.ask < math.inf  # also false for NaN


def judge_alone(prices: PriceEvaluator, slot: int, reading: PriceReading | None, at: datetime) -> list[Firing]:
    """Judge the rule in `slot` at once on the newest price known for it; the book's price never changes.

    The book's last price wins when it was judged after the reading was asked for (the stream is
    ahead of the REST answer); otherwise the reading is used and the rule stays waiting for the
    next quote, which judges its crossings from the reading. Only a state (above/below, repeat)
    can fire here: a crossing needs a later price.
    """
    book = prices.book_of(slot)
    table = prices.table
    flags = table.flags[slot]
    if not flags & F_LIVE or flags & (F_DONE | F_PAUSED):
        return []
    if reading is not None and reading.usable and (book.last is None or reading.asked_at.timestamp() > book.last_at):
        current, from_reading = side_points(reading.bid, reading.ask, book.side, book.digits), True
    elif book.last is not None:
        current, from_reading = book.last, False
    else:
        return []  # nothing known yet: the first quote judges it against its own remembered price
    prices.forget_unsynced(book, slot)
    if table.last[slot] != current:
        table.last[slot] = current
        prices.dirty.add(table.ids[slot])
    fired: list[Firing] = []
    prices.step(book, slot, current, current, at, at.timestamp(), False, fired)
    flags = table.flags[slot]
    if from_reading and flags & F_LIVE and not flags & (F_DONE | F_PAUSED):
        book.unsynced.append(slot)  # not the book's price: the next quote judges it from its own (the reading)
    return fired
