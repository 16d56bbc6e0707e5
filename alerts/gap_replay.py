"""Replaying the M1 candles of a stream outage through a symbol's books, so a level crossed and left inside it fires.

After an outage the current price alone misses a round trip (up through a level and back). The
candles covering the gap say how far the price went: each book walks, oldest first, through the
low, high and close of every bar after its last judged price (a rising bar dips first, a falling
one rises first, as bar-based platforms assume), then the current price. Within one
replay a rule fires at most once, and its message says the crossing happened during the outage.

What was already judged is not judged again: bars that ended before the book's last price are
skipped, and in the minute of that price only a price beyond the range already judged in it
counts, so replaying the same gap twice (a second reconnect) notifies nothing twice. Rules set
or resumed since the last price did not exist for those older prices: they are judged only from
their own remembered price to the current one.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from fxbot.alerts.firing import GAP_LINE, KIND_PRICE, Firing
from fxbot.alerts.index import SideBook
from fxbot.alerts.price_eval import PriceEvaluator
from fxbot.alerts.price_store import side_points
from fxbot.alerts.price_table import EVERY, F_DONE, F_LIVE
from fxbot.alerts.rules import PriceRule


@dataclass(frozen=True, slots=True)
class GapBar:
    """One M1 candle of the outage: when it opened and its bid prices (what MetaTrader candles show)."""

    opened_at: datetime
    open: float
    high: float
    low: float
    close: float


def gap_start(books: Iterable[SideBook]) -> float | None:
    """Epoch second of the minute the oldest last price of these books was judged in; None: none has one."""
    starts = [book.bar_end - 60.0 for book in books if book.last is not None and book.bar_end > float("-inf")]
    return min(starts) if starts else None


def bar_path(book: SideBook, bars: Sequence[GapBar], offset: int) -> list[tuple[int, GapBar]]:
    """The prices (points of the book's side; `offset` turns a bid into it) the bars went through unseen."""
    if book.last is None:
        return []
    seen_from = book.bar_end - 60.0
    scale = book.scale
    path: list[tuple[int, GapBar]] = []
    previous = book.last
    for bar in sorted(bars, key=lambda b: b.opened_at):
        start = bar.opened_at.timestamp()
        if start < seen_from:
            continue  # over before the last judged price
        high, low = round(bar.high * scale) + offset, round(bar.low * scale) + offset
        close = round(bar.close * scale) + offset
        partly_seen = start < book.bar_end
        for points in ((low, high, close) if bar.close >= bar.open else (high, low, close)):
            if partly_seen and book.bar_lo <= points <= book.bar_hi:
                continue  # judged already in that minute
            if points != previous:
                path.append((points, bar))
                previous = points
    return path


def replay_book(prices: PriceEvaluator, book: SideBook, bars: Sequence[GapBar], bid: float, ask: float,
                at: datetime, fired: list[Firing]) -> None:
    """Walk one book through the gap's unseen prices to the current quote; firings (one per rule) go to `fired`."""
    before = book.last
    if before is None:
        return
    current = side_points(bid, ask, book.side, book.digits)
    path = bar_path(book, bars, current - round(bid * book.scale))
    table = prices.table
    now = at.timestamp()
    waiting, book.unsynced = book.unsynced, array("i")
    for slot in waiting:
        prices.index_remove(slot)
    parked: list[int] = []
    prev: int = before
    steps: list[tuple[int, GapBar | None]] = [*path, (current, None)]
    for points, bar in steps:
        if points != prev:
            start = len(fired)
            for slot in book.candidates(prev, points):
                prices.step(book, slot, prev, points, at, now, True, fired)
            for index in range(start, len(fired)):
                firing = fired[index]
                if firing.kind != KIND_PRICE:
                    continue
                fired[index] = _during_gap(firing, bar, before, current)
                own = table.slot_of(firing.rule_id)
                if own is not None and table.mode[own] == EVERY and table.flags[own] & F_LIVE:
                    prices.index_remove(own)  # fired once in this gap: not again on a later bar
                    parked.append(own)
        book.saw(points, now if bar is None else bar.opened_at.timestamp())
        prev = points
    for slot in parked:
        prices.index_add(slot)
        prices.step(book, slot, current, current, at, now, True, fired)  # re-arms if the price is back beyond
    for slot in waiting:
        if table.flags[slot] & F_LIVE and not table.flags[slot] & F_DONE:
            prices.index_add(slot)
            book.unsynced.append(slot)  # judged from their own price by the quote that follows


def _during_gap(firing: Firing, bar: GapBar | None, before: int, current: int) -> Firing:
    """The firing with its outage line saying where and when (which minute's candle) the price got there."""

    def build() -> Firing:
        rule = firing.rule
        lines = tuple(_gap_line(rule, bar, before, current) if line.startswith(GAP_LINE) else line
                      for line in firing.lines)
        return Firing(rule, firing.kind, firing.severity, firing.title, lines, firing.dedupe_key, firing.at,
                      after_gap=True)

    return Firing.deferred(build, chat_id=firing.chat_id, rule_id=firing.rule_id, kind=firing.kind,
                           severity=firing.severity, dedupe_key=firing.dedupe_key, at=firing.at, after_gap=True)


def _gap_line(rule: object, bar: GapBar | None, before: int, current: int) -> str:
    if not isinstance(rule, PriceRule):
        return GAP_LINE
    fmt = rule.format_points
    if bar is None:
        return f"{GAP_LINE} (last price before the outage {fmt(before)})"
    minute = bar.opened_at.astimezone(UTC).strftime("%H:%M")
    return (f"{GAP_LINE} It happened inside the outage (the {minute} UTC one-minute candle) and the price is "
            f"{fmt(current)} now; the last price before the outage was {fmt(before)}.")
