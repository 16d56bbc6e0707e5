"""The in-memory price index: per (account, symbol, side) sorted thresholds found by bisection.

Each `SideBook` keeps two parallel compact arrays (`array('q')` of integer points, `array('i')` of
rule slots) sorted by points. A quote that moves the price from `prev` to `cur` only looks at the
entries with points in [min(prev, cur), max(prev, cur)]: O(log n + found), never a scan.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from itertools import compress

from alerts.rules import PriceSide

_NOT_TOMBSTONE = (-1).__ne__
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1
NEW_ENTRIES_LIMIT = 128
"""Entries added one by one wait in a small sorted buffer; past this many it is merged into the main arrays."""


class ThresholdIndex:
    """Sorted (points, slot) pairs; several entries may share one points value.

    Removing an entry leaves a tombstone (slot -1) instead of shifting the arrays (a million rules
    make that a 400 kB memmove per firing); tombstones are compacted away once they are an eighth of
    the entries. New entries go to a small sorted buffer merged in bulk, for the same reason. Entries of
    equal points are found in the order they were added.
    """

    __slots__ = ("dead", "new_points", "new_slots", "points", "slots")

    def __init__(self) -> None:
        self.points: array[int] = array("i")  # 4-byte points while every level fits, else "q"
        self.slots: array[int] = array("i")
        self.dead = 0
        self.new_points: array[int] = array("i")
        self.new_slots: array[int] = array("i")

    def __len__(self) -> int:
        return len(self.points) - self.dead + len(self.new_points)

    def add(self, points: int, slot: int) -> None:
        if self.points.typecode == "i" and not _INT32_MIN <= points <= _INT32_MAX:
            self.points = array("q", self.points)
            self.new_points = array("q", self.new_points)
        at = bisect_right(self.new_points, points)
        self.new_points.insert(at, points)
        self.new_slots.insert(at, slot)
        if len(self.new_points) > NEW_ENTRIES_LIMIT:
            self._merge_new()

    def remove(self, points: int, slot: int) -> bool:
        """Remove one (points, slot) entry; False when it was not there."""
        lo = bisect_left(self.points, points)
        hi = bisect_right(self.points, points, lo)
        if lo < hi:
            try:
                at = self.slots.index(slot, lo, hi)  # a C scan: many rules may share one level
            except ValueError:
                pass
            else:
                self.slots[at] = -1
                self.dead += 1
                if self.dead > 64 and self.dead * 8 > len(self.slots):
                    self._compact()
                return True
        lo = bisect_left(self.new_points, points)
        hi = bisect_right(self.new_points, points, lo)
        if lo < hi:
            try:
                at = self.new_slots.index(slot, lo, hi)
            except ValueError:
                return False
            del self.new_points[at]
            del self.new_slots[at]
            return True
        return False

    def between(self, lo: int, hi: int) -> array[int]:
        """The slots of every entry with lo <= points <= hi, by points (a copy: callers may change the index)."""
        start = bisect_left(self.points, lo)
        end = bisect_right(self.points, hi, start)
        new = self.new_points
        if new:
            new_start = bisect_left(new, lo)
            new_end = bisect_right(new, hi, new_start)
            if new_start < new_end:
                return self._merged(start, end, new_start, new_end)
        found = self.slots[start:end]
        if self.dead and -1 in found:
            found = array("i", filter(_NOT_TOMBSTONE, found))
            if len(found) + 64 < end - start:
                self._compact()  # a busy range full of tombstones (a crowd of rules fired at one level)
        return found

    def _merged(self, start: int, end: int, new_start: int, new_end: int) -> array[int]:
        points = self.points[start:end] + self.new_points[new_start:new_end]
        slots = self.slots[start:end] + self.new_slots[new_start:new_end]
        order = sorted(range(len(points)), key=points.__getitem__)  # stable: main entries first on ties
        return array("i", [slots[i] for i in order if slots[i] >= 0])

    def bulk_load(self, pairs_points: array[int], pairs_slots: array[int]) -> None:
        """Replace the content with unsorted parallel arrays, sorting once (cold start)."""
        order = sorted(range(len(pairs_points)), key=pairs_points.__getitem__)
        fits = not pairs_points or (min(pairs_points) >= _INT32_MIN and max(pairs_points) <= _INT32_MAX)
        code = "i" if fits else "q"
        self.points = array(code, map(pairs_points.__getitem__, order))
        self.slots = array("i", map(pairs_slots.__getitem__, order))
        self.dead = 0
        self.new_points = array(code)
        self.new_slots = array("i")

    def merge(self, points: array[int], slots: array[int]) -> None:
        """Add many entries at once (sorted in one pass), after the ones already there."""
        if not len(points):
            return
        self._compact()
        self.bulk_load(array("q", self.points) + array("q", self.new_points) + array("q", points),
                       self.slots + self.new_slots + slots)

    def _merge_new(self) -> None:
        """Splice the buffer into the main arrays: one bisection per buffered entry, then C-level copies."""
        points, slots = self.points, self.slots
        out_points: array[int] = array(points.typecode)
        out_slots: array[int] = array("i")
        done = 0
        for p, slot in zip(self.new_points, self.new_slots, strict=True):
            at = bisect_right(points, p, done)  # after the equal ones: entries keep the order they came in
            out_points += points[done:at]
            out_points.append(p)
            out_slots += slots[done:at]
            out_slots.append(slot)
            done = at
        out_points += points[done:]
        out_slots += slots[done:]
        self.points, self.slots = out_points, out_slots
        self.new_points = array(points.typecode)
        self.new_slots = array("i")

    def _compact(self) -> None:
        if not self.dead:
            return
        keep = list(map((-1).__ne__, self.slots))
        self.points = array(self.points.typecode, compress(self.points, keep))
        self.slots = array("i", compress(self.slots, keep))
        self.dead = 0


class SideBook:
    """Everything kept for one (account, symbol, side): index, last price, rules waiting for a price.

    `unsynced` holds slots added while no price was known (or after a restart): they are judged
    against their own remembered price on the next quote. `holding` maps the slots of `repeat`
    rules whose condition currently holds to the epoch second they are next due. `last_at` is when
    the last price was judged (epoch seconds, -inf: never) and `bar_hi`/`bar_lo` the range of the
    prices judged in the minute ending at `bar_end`: what a replay of a gap's candles has already seen.
    """

    __slots__ = ("account_id", "bar_end", "bar_hi", "bar_lo", "digits", "holding", "index", "last", "last_at", "live",
                 "next_due", "scale", "side", "symbol", "unsynced")

    def __init__(self, account_id: str, symbol: str, side: PriceSide, digits: int) -> None:
        self.account_id = account_id
        self.symbol = symbol
        self.side = side
        self.digits = digits
        self.scale = 10.0**digits
        self.index = ThresholdIndex()
        self.last: int | None = None
        self.unsynced: array[int] = array("i")
        self.holding: dict[int, float] = {}
        self.next_due = float("inf")
        self.live = 0
        self.last_at = float("-inf")
        self.bar_end = float("-inf")
        self.bar_hi = 0
        self.bar_lo = 0

    def recompute_next_due(self) -> None:
        self.next_due = min(self.holding.values(), default=float("inf"))

    def saw(self, points: int, now: float) -> None:
        """Record a judged price: the book's last price, when it was judged, and the minute's range so far."""
        self.last = points
        self.last_at = now
        if now < self.bar_end:
            if points > self.bar_hi:
                self.bar_hi = points
            elif points < self.bar_lo:
                self.bar_lo = points
        else:
            self.bar_end = now - now % 60.0 + 60.0
            self.bar_hi = self.bar_lo = points


class SymbolBooks:
    """The bid/ask/mid books of one (account, symbol); a side without rules is None.

    `watched` holds the books that exist, in bid, ask, mid order (what a quote evaluates).
    """

    __slots__ = ("ask", "bid", "mid", "watched")

    def __init__(self) -> None:
        self.bid: SideBook | None = None
        self.ask: SideBook | None = None
        self.mid: SideBook | None = None
        self.watched: tuple[SideBook, ...] = ()

    def get(self, side: PriceSide) -> SideBook | None:
        return self.bid if side is PriceSide.BID else self.ask if side is PriceSide.ASK else self.mid

    def set(self, side: PriceSide, book: SideBook | None) -> None:
        if side is PriceSide.BID:
            self.bid = book
        elif side is PriceSide.ASK:
            self.ask = book
        else:
            self.mid = book
        self.watched = tuple(b for b in (self.bid, self.ask, self.mid) if b is not None)

    def books(self) -> Iterator[SideBook]:
        for book in (self.bid, self.ask, self.mid):
            if book is not None:
                yield book


class AlertIndex:
    """All side books, by (account_id, symbol); books are numbered so rules refer to them by int."""

    def __init__(self) -> None:
        self.by_symbol: dict[tuple[str, str], SymbolBooks] = {}
        self.books: list[SideBook] = []
        self._numbers: dict[tuple[str, str, PriceSide], int] = {}

    def book_number(self, account_id: str, symbol: str, side: PriceSide, digits: int) -> int:
        """The number of the book for this key, creating it if needed."""
        key = (account_id, symbol, side)
        number = self._numbers.get(key)
        if number is None:
            book = SideBook(account_id, symbol, side, digits)
            number = len(self.books)
            self.books.append(book)
            self._numbers[key] = number
            self.by_symbol.setdefault((account_id, symbol), SymbolBooks()).set(side, book)
        return number

    def find(self, account_id: str, symbol: str, side: PriceSide) -> SideBook | None:
        number = self._numbers.get((account_id, symbol, side))
        return None if number is None else self.books[number]

    def watched_symbols(self) -> dict[str, set[str]]:
        """account_id -> symbols that have at least one live (not paused, not done) price rule."""
        watched: dict[str, set[str]] = {}
        for book in self.books:
            if book.live > 0:
                watched.setdefault(book.account_id, set()).add(book.symbol)
        return watched
