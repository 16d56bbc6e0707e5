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
from fxbot.alerts.rules import PriceRule, PriceSide

BLOCKED = F_DONE | F_PAUSED


class PendingEntries:
    """One book's rules gathered during a cold start: their index entries, sorted into its indexes once at the
    end, and the keys of its first-price sync (alerts.price_sync) for the rules waiting for a price (`slots`)."""

    __slots__ = ("cold_down_slots", "cold_up_slots", "down_points", "down_slots", "slots", "up_points", "up_slots")

    def __init__(self) -> None:
        self.up_points: array[int] = array("q")
        self.up_slots: array[int] = array("i")
        self.down_points: array[int] = array("q")
        self.down_slots: array[int] = array("i")
        self.cold_up_slots: array[int] = array("i")  # the slots with a first-price key (their entry up / down)
        self.cold_down_slots: array[int] = array("i")
        self.slots: array[int] = array("i")

    def add(self, slot: int, up: tuple[int, ...], down: tuple[int, ...], cold_up: tuple[int, ...],
            cold_down: tuple[int, ...]) -> None:
        """One waiting rule: its index entries and its first-price keys (each one of its entries)."""
        self.slots.append(slot)
        for points, target_points, target_slots in ((up, self.up_points, self.up_slots),
                                                    (down, self.down_points, self.down_slots)):
            for value in points:
                target_points.append(value)
                target_slots.append(slot)
        if cold_up:
            self.cold_up_slots.append(slot)
        if cold_down:
            self.cold_down_slots.append(slot)


class PriceRuleStore:
    """Owns the price-rule table and index, and keeps each rule's index entries in step with its state."""

    def __init__(self) -> None:
        self.table = PriceRuleTable()
        self.index = AlertIndex()
        self.spread: dict[str, float] = {}
        self.dirty: set[int] = set()
        self.pending: dict[int, PendingEntries] = {}  # cold start: index entries gathered per book
        self.unwatched_quotes: dict[tuple[str, str], tuple[float, float, float]] = {}  # bid, ask, epoch seconds
        self.expiry_floor = float("inf")
        """No rule expires before this (epoch seconds): until then no quote looks up expiries. The engine
        raises it to its expiry heap's earliest time after each sweep."""

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
        user = self.table.user_band.get(slot, -1)
        return max(user, round(2 * self.spread.get(book.symbol, 0.0)), book.pip)

    # -- rules in and out ---------------------------------------------------------------------

    def insert(self, rule: PriceRule) -> int | None:
        """Store a rule and index it; None when it is done or expired (nothing to watch)."""
        if rule.state.done or rule.state.expired_reported:
            return None
        number = self.index.book_number(rule.account_id, rule.symbol, rule.side, rule.digits)
        slot = self.table.insert(rule, number)
        when = self.table.expires.get(slot)
        if when is not None and when < self.expiry_floor:
            self.expiry_floor = when
        book = self.index.books[number]
        if book.last is None and book.cold is None:  # (a cold start's rules are judged by a quote that follows)
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
        self.forget_unsynced(book, slot)
        self.table.release(slot)

    @staticmethod
    def forget_unsynced(book: SideBook, slot: int) -> None:
        """The rule in `slot` no longer waits for its book's next price (removed, paused, or judged now)."""
        if book.cold is not None:
            book.cold.left.add(slot)
        if slot in book.unsynced:
            book.unsynced.remove(slot)


def side_points(bid: float, ask: float, side: PriceSide, digits: int) -> int:
    """The watched price of a quote as integer points (mid is rounded to a point)."""
    scale = 10.0**digits
    if side is PriceSide.BID:
        return round(bid * scale)
    if side is PriceSide.ASK:
        return round(ask * scale)
    return round((bid + ask) * scale / 2)
