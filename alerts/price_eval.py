"""Evaluation of price rules on quotes: crossings by bisection, hysteresis re-arm, repeat, runaway.

Index entries of a rule follow its state: an armed once/every rule sits at its level L; a
disarmed `every` rule sits at its re-arm point(s) L ∓ h; a `repeat` rule always sits at L
(entering and leaving the condition are both crossings of L); paused/done rules have none.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from alerts.firing import Firing, price_firing, runaway_firing
from alerts.index import AlertIndex, SideBook
from alerts.price_table import (
    ABOVE,
    BELOW,
    CROSS,
    CROSS_DOWN,
    CROSS_UP,
    EVERY,
    F_ARMED,
    F_DONE,
    F_LIVE,
    F_PAUSED,
    NO_POINTS,
    ONCE,
    REPEAT,
    PriceRuleTable,
)
from alerts.price_table import CONDITION_CODE as _CONDITION_CODE
from alerts.price_table import MODE_CODE as _MODE_CODE
from alerts.rows import epoch_of_db, parse_recent
from alerts.rules import PriceRule, PriceSide, pip_points
from fxbot.domain.instruments import instrument

RUNAWAY_FIRES = 15
RUNAWAY_WINDOW_S = 180
SPREAD_EMA_ALPHA = 0.05
_BLOCKED = F_DONE | F_PAUSED
CONDITION_CODE_BY_TEXT = {c.value: code for c, code in _CONDITION_CODE.items()}
MODE_CODE_BY_TEXT = {m.value: code for m, code in _MODE_CODE.items()}


class PriceEvaluator:
    """Owns the price-rule table and index; `on_quote` returns the firings of one quote."""

    def __init__(self) -> None:
        self.table = PriceRuleTable()
        self.index = AlertIndex()
        self.spread: dict[str, float] = {}
        self.dirty: set[int] = set()
        self._pip: dict[int, int] = {}
        self._pending: dict[int, tuple[array[int], array[int]]] = {}
        self.unwatched_quotes: dict[tuple[str, str], tuple[float, float]] = {}

    # -- index entries ------------------------------------------------------------------------

    def entries(self, slot: int) -> tuple[int, ...]:
        t = self.table
        flags = t.flags[slot]
        if not flags & F_LIVE or flags & _BLOCKED:
            return ()
        level = t.level[slot]
        if t.mode[slot] == REPEAT or flags & F_ARMED:
            return (level,)
        band = max(t.band[slot], 1)
        cond = t.condition[slot]
        if cond in (ABOVE, CROSS_UP):
            return (level - band,)
        if cond in (BELOW, CROSS_DOWN):
            return (level + band,)
        return (level - band, level + band)

    def index_add(self, slot: int) -> None:
        book = self.index.books[self.table.book[slot]]
        for points in self.entries(slot):
            book.index.add(points, slot)

    def index_remove(self, slot: int) -> None:
        book = self.index.books[self.table.book[slot]]
        for points in self.entries(slot):
            book.index.remove(points, slot)
        book.holding.pop(slot, None)

    # -- quotes -------------------------------------------------------------------------------

    def typical_spread(self, symbol: str) -> float:
        return self.spread.get(symbol, 0.0)

    def on_quote(
        self, account_id: str, symbol: str, bid: float, ask: float, at: datetime, now: float, after_gap: bool
    ) -> list[Firing]:
        books = self.index.by_symbol.get((account_id, symbol))
        if books is None:
            self.unwatched_quotes[(account_id, symbol)] = (bid, ask)
            return []
        fired: list[Firing] = []
        for book in (books.bid, books.ask, books.mid):
            if book is None:
                continue
            scale = 10.0**book.digits
            self._track_spread(symbol, (ask - bid) * scale)
            cur = side_points(bid, ask, book.side, book.digits)
            self._evaluate(book, cur, at, now, after_gap, fired)
        return fired

    def _track_spread(self, symbol: str, spread_points: float) -> None:
        old = self.spread.get(symbol)
        if old is None:
            spec = instrument(symbol)
            old = float(spec.typical_spread_points) if spec is not None else spread_points
        self.spread[symbol] = old + SPREAD_EMA_ALPHA * (spread_points - old)

    def _evaluate(self, book: SideBook, cur: int, at: datetime, now: float, gap: bool, fired: list[Firing]) -> None:
        prev = book.last
        done: set[int] | None = None
        if book.unsynced:
            pending, book.unsynced = book.unsynced, array("i")
            done = set(pending)
            last = self.table.last
            for slot in pending:
                own = last[slot]
                self.step(book, slot, cur if own == NO_POINTS else own, cur, at, now, gap, fired)
        if prev is not None and prev != cur:
            candidates = book.index.between(prev, cur) if prev < cur else book.index.between(cur, prev)
            for slot in candidates:
                if done is None or slot not in done:
                    self.step(book, slot, prev, cur, at, now, gap, fired)
        book.last = cur
        if now >= book.next_due:
            self._repeat_due(book, cur, at, now, gap, fired)

    def step(
        self, book: SideBook, slot: int, prev: int, cur: int, at: datetime, now: float, gap: bool,
        fired: list[Firing],
    ) -> None:
        """Judge one rule for a move prev -> cur (touching the level counts)."""
        t = self.table
        flags = t.flags[slot]
        if not flags & F_LIVE or flags & _BLOCKED or t.is_expired(slot, now):
            return
        level = t.level[slot]
        cond = t.condition[slot]
        mode = t.mode[slot]
        if mode == REPEAT:
            holds = cur >= level if cond == ABOVE else cur <= level
            if not holds:
                if book.holding.pop(slot, None) is not None:
                    book.recompute_next_due()
            elif slot not in book.holding:
                last_fired = t.last_fired[slot]
                due = now if last_fired == 0.0 else max(now, last_fired + 60.0 * t.repeat[slot])
                book.holding[slot] = due
                if due <= now:
                    self._fire(book, slot, cur, prev, at, now, gap, fired)
                book.recompute_next_due()
            return
        if not flags & F_ARMED:
            band = max(t.band[slot], 1)
            if cond in (ABOVE, CROSS_UP):
                rearm = cur <= level - band
            elif cond in (BELOW, CROSS_DOWN):
                rearm = cur >= level + band
            else:
                rearm = abs(cur - level) >= band
            if rearm:
                self.index_remove(slot)
                t.flags[slot] = flags | F_ARMED
                t.last[slot] = cur
                self.index_add(slot)
                self.dirty.add(t.ids[slot])
            return
        if cond == ABOVE:
            hit = cur >= level
        elif cond == BELOW:
            hit = cur <= level
        elif cond == CROSS_UP:
            hit = prev < level <= cur
        elif cond == CROSS_DOWN:
            hit = cur <= level < prev
        else:
            hit = prev < level <= cur or cur <= level < prev
        if hit:
            self._fire(book, slot, cur, prev, at, now, gap, fired)

    def _fire(
        self, book: SideBook, slot: int, cur: int, prev: int, at: datetime, now: float, gap: bool,
        fired: list[Firing],
    ) -> None:
        t = self.table
        rule_id = t.ids[slot]
        seq = t.fire_seq[slot]
        mode = t.mode[slot]
        recent = t.recent.setdefault(rule_id, [])
        recent.append(now)
        while recent and recent[0] <= now - RUNAWAY_WINDOW_S:
            recent.pop(0)
        if mode != REPEAT:
            self.index_remove(slot)
        t.fire_seq[slot] = seq + 1
        t.last_fired[slot] = now
        t.last[slot] = cur
        rearm: tuple[int, ...] = ()
        if mode == ONCE:
            t.flags[slot] |= F_DONE
            t.flags[slot] &= ~F_ARMED
        elif mode == EVERY:
            band = self.hysteresis(book, slot)
            t.band[slot] = band
            level = t.level[slot]
            if not (t.condition[slot] == CROSS and abs(cur - level) >= band):
                t.flags[slot] &= ~F_ARMED
            rearm = self.entries(slot) if not t.flags[slot] & F_ARMED else ()
            self.index_add(slot)
        else:
            book.holding[slot] = now + 60.0 * t.repeat[slot]
            book.recompute_next_due()
        runaway = mode != ONCE and len(recent) > RUNAWAY_FIRES
        if runaway:
            self.index_remove(slot)
            t.flags[slot] |= F_PAUSED
            book.live -= 1
        rule = t.rule_of(slot, book.account_id, book.symbol, book.digits, book.side)
        fired.append(
            price_firing(rule, price_points=cur, prev_points=prev if gap else None, fire_seq_before=seq, at=at,
                         after_gap=gap, rearm_points=rearm)
        )
        if runaway:
            fired.append(runaway_firing(rule, at, len(recent), RUNAWAY_WINDOW_S))
        if mode == ONCE:
            book.live -= 1
            t.release(slot)
        self.dirty.discard(rule_id)

    def hysteresis(self, book: SideBook, slot: int) -> int:
        """h = max(user value, 2 × typical spread, 1 pip), in points."""
        pip = self._pip.get(self.table.book[slot])
        if pip is None:
            pip = pip_points(book.symbol, book.digits)
            self._pip[self.table.book[slot]] = pip
        user = self.table.user_band[slot]
        return max(user, round(2 * self.spread.get(book.symbol, 0.0)), pip)

    def _repeat_due(self, book: SideBook, cur: int, at: datetime, now: float, gap: bool, fired: list[Firing]) -> None:
        for slot, due in list(book.holding.items()):
            if due <= now and slot in book.holding:
                self._fire(book, slot, cur, cur, at, now, gap, fired)
        book.recompute_next_due()

    # -- rules in and out ---------------------------------------------------------------------

    def insert(self, rule: PriceRule) -> int | None:
        """Store a rule and index it; None when it is done or expired (nothing to watch)."""
        if rule.state.done or rule.state.expired_reported:
            return None
        number = self.index.book_number(rule.account_id, rule.symbol, rule.side, rule.digits)
        slot = self.table.insert(rule, number)
        book = self.index.books[number]
        if book.last is None:
            seen = self.unwatched_quotes.pop((rule.account_id, rule.symbol), None)
            if seen is not None:
                book.last = side_points(seen[0], seen[1], book.side, book.digits)
        if not rule.state.paused:
            book.live += 1
            self.index_add(slot)
            book.unsynced.append(slot)
        return slot

    def book_of(self, slot: int) -> SideBook:
        return self.index.books[self.table.book[slot]]

    def rule_at(self, slot: int) -> PriceRule:
        book = self.book_of(slot)
        return self.table.rule_of(slot, book.account_id, book.symbol, book.digits, book.side)

    def drop(self, slot: int) -> None:
        book = self.book_of(slot)
        flags = self.table.flags[slot]
        if flags & F_LIVE and not flags & _BLOCKED:
            book.live -= 1
        self.index_remove(slot)
        if slot in book.unsynced:
            book.unsynced.remove(slot)
        self.table.release(slot)


    # -- cold start ---------------------------------------------------------------------------

    def load_rows(self, rows: Iterable[Sequence[Any]]) -> tuple[int, list[tuple[float, int]]]:
        """Append lean rows (alerts.rows.LEAN_PRICE_COLUMNS order, ascending ids) without judging them.

        The fast cold-start path: column-wise, no PriceRule objects; call finish_loading() after the
        last chunk. Returns the number of rules added and the (expiry epoch, id) pairs of rules that expire.
        """
        chunk = rows if isinstance(rows, list) else list(rows)
        if not chunk:
            return 0, []
        t = self.table
        books: dict[tuple[str, str, str], int] = {}

        def book_of(acc: str, symbol: str, side: str, digits: int) -> int:
            number = books.get((acc, symbol, side))
            if number is None:
                number = self.index.book_number(acc, symbol, PriceSide(side), digits)
                books[(acc, symbol, side)] = number
            return number

        intern = t.intern
        cond_code, mode_code = CONDITION_CODE_BY_TEXT, MODE_CODE_BY_TEXT
        columns = (
            [r[0] for r in chunk],
            [r[9] for r in chunk],
            [NO_POINTS if r[17] is None else r[17] for r in chunk],
            [-1 if r[21] is None else round(r[21]) for r in chunk],
            [-1 if r[12] is None else r[12] for r in chunk],
            [cond_code[r[8]] for r in chunk],
            [mode_code[r[10]] for r in chunk],
            [F_LIVE | (F_ARMED if r[16] else 0) | (F_PAUSED if r[15] else 0) for r in chunk],
            [r[11] or 0 for r in chunk],
            [r[18] for r in chunk],
            [book_of(r[3], r[5], r[7], r[6]) for r in chunk],
            [intern(r[1]) for r in chunk],
            [intern(r[2]) for r in chunk],
            [epoch_of_db(r[4]) for r in chunk],
            [0.0 if r[13] is None else epoch_of_db(r[13]) for r in chunk],
            [0.0 if r[19] is None else epoch_of_db(r[19]) for r in chunk],
        )
        slots = t.extend_columns(columns)
        expiries = [(e, i) for e, i in zip(columns[14], columns[0], strict=True) if e]
        for row in chunk:
            if row[14]:
                t.notes[row[0]] = row[14]
            if row[20]:
                t.recent[row[0]] = list(parse_recent(row[20]))
        pending = self._pending
        flags_col, mode_col, book_col, level_col = columns[7], columns[6], columns[10], columns[1]
        for k, slot in enumerate(slots):
            flags = flags_col[k]
            if flags & F_PAUSED:
                continue
            number = book_col[k]
            book = self.index.books[number]
            book.live += 1
            book.unsynced.append(slot)
            points, entry_slots = pending.setdefault(number, (array("q"), array("i")))
            if flags & F_ARMED or mode_col[k] == REPEAT:
                points.append(level_col[k])
                entry_slots.append(slot)
            else:
                for p in self.entries(slot):
                    points.append(p)
                    entry_slots.append(slot)
        return len(chunk), expiries

    def finish_loading(self) -> None:
        """Sort the index entries gathered by load_rows into their books (once, after the last chunk)."""
        for number, (points, slots) in self._pending.items():
            self.index.books[number].index.merge(points, slots)
        self._pending.clear()


def side_points(bid: float, ask: float, side: PriceSide, digits: int) -> int:
    """The watched price of a quote as integer points (mid is rounded to a point)."""
    scale = 10.0**digits
    if side is PriceSide.BID:
        return round(bid * scale)
    if side is PriceSide.ASK:
        return round(ask * scale)
    return round((bid + ask) * scale / 2)
