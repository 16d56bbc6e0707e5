"""The in-memory price index: per (account, symbol, side) books of sorted thresholds found by bisection.

Each `SideBook` keeps two `ThresholdIndex`es (alerts.threshold_index): a quote that moves the price
from `prev` to `cur` only looks at the entries with points in [min(prev, cur), max(prev, cur)]:
O(log n + found), never a scan. The due times of its holding `repeat` rules are in a `DueHeap`
(alerts.due_heap).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from typing import TYPE_CHECKING

from fxbot.alerts.due_heap import DueHeap
from fxbot.alerts.rules import PriceSide, pip_points
from fxbot.alerts.threshold_index import BLOCK, ThresholdIndex

if TYPE_CHECKING:
    from fxbot.alerts.price_sync import ColdSync

__all__ = ["BLOCK", "AlertIndex", "DueHeap", "SideBook", "SymbolBooks", "ThresholdIndex"]


class SideBook:
    """Everything kept for one (account, symbol, side): indexes, last price, rules waiting for a price.

    Each rule's entries say at which price its state changes, in the direction that changes it:
    `up` holds the points a rising price must reach (price >= points), `down` those a falling price
    must reach (price <= points), so a move prev -> cur only looks at `up` in (prev, cur] or at
    `down` in [cur, prev): almost every entry found fires or re-arms.

    `unsynced` holds slots added while no price was known: they are judged against their own
    remembered price on the next quote; `cold` does the same for the rules of a cold start (keyed
    by where a first price can change them, so that quote does not judge them all). `holding`
    keeps the slots of `repeat` rules whose condition currently holds with the epoch second each is
    next due (`next_due`: a lower bound of the earliest, exact after each look at the due ones).
    `last_at` is when the last price was judged (epoch seconds, -inf: never) and `bar_hi`/`bar_lo`
    the range of the prices judged in the minute ending at `bar_end`: what a replay of a gap's
    candles has already seen.
    """

    __slots__ = ("account_id", "bar_end", "bar_hi", "bar_lo", "cold", "digits", "down", "holding", "last", "last_at",
                 "live", "next_due", "pip", "scale", "side", "symbol", "unsynced", "up")

    def __init__(self, account_id: str, symbol: str, side: PriceSide, digits: int) -> None:
        self.account_id = account_id
        self.symbol = symbol
        self.side = side
        self.digits = digits
        self.scale = 10.0**digits
        self.pip = pip_points(symbol, digits)  # the smallest re-arm band, in points
        self.up = ThresholdIndex()
        self.down = ThresholdIndex()
        self.last: int | None = None
        self.unsynced: array[int] = array("i")
        self.cold: ColdSync | None = None
        self.holding = DueHeap()
        self.next_due = float("inf")
        self.live = 0
        self.last_at = float("-inf")
        self.bar_end = float("-inf")
        self.bar_hi = 0
        self.bar_lo = 0

    def candidates(self, prev: int, cur: int) -> array[int]:
        """The slots whose state the move prev -> cur may change (rising: `up` in (prev, cur]; falling: `down`
        in [cur, prev))."""
        if prev < cur:
            return self.up.between(prev + 1, cur)
        return self.down.between(cur, prev - 1)

    def recompute_next_due(self) -> None:
        self.next_due = self.holding.next_due()

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
