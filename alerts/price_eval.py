"""Evaluation of price rules on quotes: crossings by bisection, hysteresis re-arm, repeat, runaway.

The rules' index entries are kept by `PriceRuleStore` (alerts.price_store); judging a move's candidates
by `PriceMoves` (alerts.price_move); firing them by `PriceFiring` (alerts.price_firing).
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from datetime import datetime

from fxbot.alerts.firing import Firing
from fxbot.alerts.index import SideBook
from fxbot.alerts.price_move import PLAIN, PriceMoves
from fxbot.alerts.price_table import (
    ABOVE,
    BELOW,
    CROSS_DOWN,
    CROSS_UP,
    NO_POINTS,
    REPEAT,
)
from fxbot.alerts.rules import PriceSide
from fxbot.domain.instruments import instrument

SPREAD_EMA_ALPHA = 0.05


class PriceEvaluator(PriceMoves):
    """Owns the price-rule table and index; `on_quote` returns the firings of one quote."""

    # -- quotes -------------------------------------------------------------------------------

    def typical_spread(self, symbol: str) -> float:
        return self.spread.get(symbol, 0.0)

    def on_quote(
        self, account_id: str, symbol: str, bid: float, ask: float, at: datetime, now: float, after_gap: bool
    ) -> list[Firing]:
        books = self.index.by_symbol.get((account_id, symbol))
        if books is None:
            self.unwatched_quotes[(account_id, symbol)] = (bid, ask, now)
            return []
        fired: list[Firing] = []
        watched = books.watched
        if not watched:
            return fired
        scale = watched[0].scale
        # the typical spread, an EMA over quotes (once per quote, whatever the sides watched)
        spread_points = (ask - bid) * scale
        old = self.spread.get(symbol)
        if old is None:
            spec = instrument(symbol)
            old = float(spec.typical_spread_points) if spec is not None else spread_points
        self.spread[symbol] = old + SPREAD_EMA_ALPHA * (spread_points - old)
        for book in watched:
            side = book.side
            if side is PriceSide.BID:
                cur = round(bid * book.scale)
            elif side is PriceSide.ASK:
                cur = round(ask * book.scale)
            else:
                cur = round((bid + ask) * book.scale / 2)
            prev = book.last
            if prev is None or book.unsynced or now >= book.next_due:
                self._evaluate(book, cur, at, now, after_gap, fired)
                continue
            # the hot path: only the entries between the previous and this price
            if prev != cur:  # book.candidates() inlined
                slots = book.up.between(prev + 1, cur) if prev < cur else book.down.between(cur, prev - 1)
                if slots:
                    self.move(book, slots, prev, cur, at, now, after_gap, fired)
            if now < book.bar_end:  # book.saw(cur, now) inlined
                book.last = cur
                book.last_at = now
                if cur > book.bar_hi:
                    book.bar_hi = cur
                elif cur < book.bar_lo:
                    book.bar_lo = cur
            else:
                book.saw(cur, now)
        return fired

    def _evaluate(self, book: SideBook, cur: int, at: datetime, now: float, gap: bool, fired: list[Firing]) -> None:
        prev = book.last
        done: set[int] | None = None
        if book.cold is not None:  # a cold start's rules (the book has no price yet: prev is None)
            cold, book.cold = book.cold, None
            self._sync(book, cold.changed_by(cur), cur, at, now, gap, fired)
        if book.unsynced:
            pending, book.unsynced = book.unsynced, array("i")
            done = self._sync(book, pending, cur, at, now, gap, fired)
        if prev is not None and prev != cur:
            slots = book.candidates(prev, cur)
            if done is not None:
                slots = array("i", [slot for slot in slots if slot not in done])
            self.move(book, slots, prev, cur, at, now, gap, fired)
        book.saw(cur, now)
        if now >= book.next_due:
            self._repeat_due(book, cur, at, now, gap, fired)

    def _sync(self, book: SideBook, pending: Sequence[int], cur: int, at: datetime, now: float, gap: bool,
              fired: list[Firing]) -> set[int]:
        """Judge rules added without a price (or loaded at start) against their own remembered price.

        A plain armed once/every rule that cannot fire is skipped without a call (the inline test is
        step()'s own); everything else goes through step(). Returns the slots judged.
        """
        t = self.table
        flags_of, mode_of, cond_of, level_of, last_of = t.flags, t.mode, t.condition, t.level, t.last
        step = self.step
        for slot in pending:
            own = last_of[slot]
            prev = cur if own == NO_POINTS else own
            if flags_of[slot] == PLAIN and mode_of[slot] != REPEAT:
                level = level_of[slot]
                cond = cond_of[slot]
                # condition_hit() inlined: this loop is the engine's hot path
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
                if not hit:
                    continue
            step(book, slot, prev, cur, at, now, gap, fired)
        return set(pending)

    def _repeat_due(self, book: SideBook, cur: int, at: datetime, now: float, gap: bool, fired: list[Firing]) -> None:
        """Fire the holding repeat rules that are due (earliest first); an expired one stops holding instead."""
        t = self.table
        for slot in book.holding.take_due(now):
            if slot not in book.holding:
                continue
            if t.expires and t.is_expired(slot, now):
                book.holding.pop(slot)  # reported by the expiry sweep, never fired again
                continue
            self._fire(book, slot, cur, cur, at, now, gap, fired)
        book.recompute_next_due()
