"""Evaluation of price rules on quotes: crossings by bisection, hysteresis re-arm, repeat, runaway.

Index entries of a rule follow its state: an armed once/every rule sits at its level L; a
disarmed `every` rule sits at its re-arm point(s) L ∓ h; a `repeat` rule always sits at L
(entering and leaving the condition are both crossings of L); paused/done rules have none.
"""

from __future__ import annotations

from array import array
from datetime import datetime

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
from alerts.rules import PriceRule, PriceSide, pip_points
from fxbot.domain.instruments import instrument

RUNAWAY_FIRES = 15
RUNAWAY_WINDOW_S = 180
SPREAD_EMA_ALPHA = 0.05
_BLOCKED = F_DONE | F_PAUSED


class PriceEvaluator:
    """Owns the price-rule table and index; `on_quote` returns the firings of one quote."""

    def __init__(self) -> None:
        self.table = PriceRuleTable()
        self.index = AlertIndex()
        self.spread: dict[str, float] = {}
        self.dirty: set[int] = set()
        self._pip: dict[int, int] = {}

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
        if cond == ABOVE or cond == CROSS_UP:
            return (level - band,)
        if cond == BELOW or cond == CROSS_DOWN:
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
            return []
        fired: list[Firing] = []
        for book in (books.bid, books.ask, books.mid):
            if book is None:
                continue
            scale = 10.0**book.digits
            self._track_spread(symbol, (ask - bid) * scale)
            if book.side is PriceSide.BID:
                cur = round(bid * scale)
            elif book.side is PriceSide.ASK:
                cur = round(ask * scale)
            else:
                cur = round((bid + ask) * scale / 2)
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
            if cond == ABOVE or cond == CROSS_UP:
                rearm = cur <= level - band
            elif cond == BELOW or cond == CROSS_DOWN:
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

