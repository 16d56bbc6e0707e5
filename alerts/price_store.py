"""Price rules held for evaluation: the rule table, the books' index entries, rules in and out."""

from __future__ import annotations

from array import array

from fxbot.alerts.index import AlertIndex, SideBook
from fxbot.alerts.price_table import (
    ABOVE,
    BELOW,
    CROSS_DOWN,
    CROSS_UP,
    F_ARMED,
    F_DONE,
    F_LIVE,
    F_PAUSED,
    REPEAT,
    PriceRuleTable,
)
from fxbot.alerts.rules import PriceRule, PriceSide, pip_points

BLOCKED = F_DONE | F_PAUSED


class PendingEntries:
    """Index entries of one book gathered during a cold start, sorted into its indexes once at the end."""

    __slots__ = ("down_points", "down_slots", "up_points", "up_slots")

    def __init__(self) -> None:
        self.up_points: array[int] = array("q")
        self.up_slots: array[int] = array("i")
        self.down_points: array[int] = array("q")
        self.down_slots: array[int] = array("i")

    def add(self, slot: int, up: tuple[int, ...], down: tuple[int, ...]) -> None:
        for points in up:
            self.up_points.append(points)
            self.up_slots.append(slot)
        for points in down:
            self.down_points.append(points)
            self.down_slots.append(slot)


class PriceRuleStore:
    """Owns the price-rule table and index, and keeps each rule's index entries in step with its state."""

    def __init__(self) -> None:
        self.table = PriceRuleTable()
        self.index = AlertIndex()
        self.spread: dict[str, float] = {}
        self.dirty: set[int] = set()
        self._pip: dict[int, int] = {}
        self.pending: dict[int, PendingEntries] = {}  # cold start: index entries gathered per book
        self.unwatched_quotes: dict[tuple[str, str], tuple[float, float, float]] = {}  # bid, ask, epoch seconds

    # -- index entries ------------------------------------------------------------------------

    def entries(self, slot: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """The rule's (up, down) index entries: where a rising / falling price changes its state.

        An armed once/every rule sits at its level L, in the direction that fires it; a disarmed `every`
        rule at its re-arm point(s) L ∓ h; a `repeat` rule where it enters and where it leaves its
        state; paused/done rules have none.
        """
        t = self.table
        flags = t.flags[slot]
        if not flags & F_LIVE or flags & BLOCKED:
            return (), ()
        level = t.level[slot]
        cond = t.condition[slot]
        if t.mode[slot] == REPEAT:  # enters and leaves the state: a rise to L and a fall below it (or the mirror)
            return ((level,), (level - 1,)) if cond == ABOVE else ((level + 1,), (level,))
        if flags & F_ARMED:
            if cond in (ABOVE, CROSS_UP):
                return (level,), ()
            if cond in (BELOW, CROSS_DOWN):
                return (), (level,)
            return (level,), (level,)
        band = max(t.band[slot], 1)  # disarmed `every`: where it re-arms
        if cond in (ABOVE, CROSS_UP):
            return (), (level - band,)
        if cond in (BELOW, CROSS_DOWN):
            return (level + band,), ()
        return (level + band,), (level - band,)

    def rearm_points(self, slot: int) -> tuple[int, ...]:
        """Where a disarmed `every` rule re-arms (for its message), lowest first."""
        up, down = self.entries(slot)
        return (*down, *up)

    def index_add(self, slot: int) -> None:
        book = self.index.books[self.table.book[slot]]
        up, down = self.entries(slot)
        for points in up:
            book.up.add(points, slot)
        for points in down:
            book.down.add(points, slot)

    def index_remove(self, slot: int) -> None:
        book = self.index.books[self.table.book[slot]]
        up, down = self.entries(slot)
        for points in up:
            book.up.remove(points, slot)
        for points in down:
            book.down.remove(points, slot)
        book.holding.pop(slot)

    def typical_spread(self, symbol: str) -> float:
        return self.spread.get(symbol, 0.0)

    def hysteresis(self, book: SideBook, slot: int) -> int:
        """h = max(user value, 2 × typical spread, 1 pip), in points."""
        pip = self._pip.get(self.table.book[slot])
        if pip is None:
            pip = pip_points(book.symbol, book.digits)
            self._pip[self.table.book[slot]] = pip
        user = self.table.user_band.get(slot, -1)
        return max(user, round(2 * self.spread.get(book.symbol, 0.0)), pip)

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
                book.saw(side_points(seen[0], seen[1], book.side, book.digits), seen[2])
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
        if flags & F_LIVE and not flags & BLOCKED:
            book.live -= 1
        self.index_remove(slot)
        if slot in book.unsynced:
            book.unsynced.remove(slot)
        self.table.release(slot)


def side_points(bid: float, ask: float, side: PriceSide, digits: int) -> int:
    """The watched price of a quote as integer points (mid is rounded to a point)."""
    scale = 10.0**digits
    if side is PriceSide.BID:
        return round(bid * scale)
    if side is PriceSide.ASK:
        return round(ask * scale)
    return round((bid + ask) * scale / 2)
