"""Evaluation of price rules on quotes: crossings by bisection, hysteresis re-arm, repeat, runaway.

The rules' index entries are kept by `PriceRuleStore` (alerts.price_store); firing them by
`PriceFiring` (alerts.price_firing).
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from datetime import datetime

from fxbot.alerts.firing import Firing
from fxbot.alerts.index import SideBook
from fxbot.alerts.price_firing import PriceFiring
from fxbot.alerts.price_store import BLOCKED
from fxbot.alerts.price_table import (
    ABOVE,
    BELOW,
    CROSS_DOWN,
    CROSS_UP,
    F_ARMED,
    F_LIVE,
    NO_POINTS,
    ONCE,
    REPEAT,
)
from fxbot.alerts.rules import PriceSide
from fxbot.alerts.threshold_index import KEY_SHIFT
from fxbot.domain.instruments import instrument

SPREAD_EMA_ALPHA = 0.05
BATCH_REMOVE_MIN = 8
"""A move with at least this many candidates removes the entries its firings and re-arms leave in one pass
over the range (ThresholdIndex.remove_sorted) instead of one removal each."""
_PLAIN = F_LIVE | F_ARMED


def condition_hit(cond: int, prev: int, cur: int, level: int) -> bool:
    """Whether a price condition holds on the move prev -> cur (integer points; touching counts)."""
    if cond == ABOVE:
        return cur >= level
    if cond == BELOW:
        return cur <= level
    if cond == CROSS_UP:
        return prev < level <= cur
    if cond == CROSS_DOWN:
        return cur <= level < prev
    return prev < level <= cur or cur <= level < prev


class PriceEvaluator(PriceFiring):
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
            if flags_of[slot] == _PLAIN and mode_of[slot] != REPEAT:
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

    def move(
        self, book: SideBook, slots: array[int], prev: int, cur: int, at: datetime, now: float, gap: bool,
        fired: list[Firing],
    ) -> None:
        """step() for every slot of one move prev -> cur, the columns read once: the engine's hot loop.

        A plain armed once/every rule (most candidates) is judged here; anything else goes through step().
        """
        t = self.table
        flags_of, mode_of, cond_of, level_of, band_of = t.flags, t.mode, t.condition, t.level, t.band
        expires = t.expires if now >= self.expiry_floor else None
        step, fire_once, fire_every = self.step, self._fire_once, self._fire_every
        holding = book.holding.due
        hold = book.holding.set
        last_fired_of, repeat_of, last_of, ids_of = t.last_fired, t.repeat, t.last, t.ids
        up_index, down_index, dirty_add = book.up, book.down, self.dirty.add
        # the entries found in the moved range (up when rising, down when falling) that must go: removed together
        gone: list[int] | None = [] if len(slots) >= BATCH_REMOVE_MIN else None
        rising = prev < cur
        for slot in slots:
            mode = mode_of[slot]
            flags = flags_of[slot]
            if flags != _PLAIN:
                if flags == F_LIVE and mode != REPEAT and not expires:  # a disarmed rule: re-armed beyond its band
                    level = level_of[slot]
                    cond = cond_of[slot]
                    band = band_of[slot]
                    if band < 1:
                        band = 1
                    # self._rearm() inlined: its re-arm entries (level -/+ band) go, its level entries come
                    if cond in (ABOVE, CROSS_UP):
                        if cur > level - band:
                            continue
                        if gone is not None and not rising:
                            gone.append((level - band) * KEY_SHIFT + slot)
                        else:
                            down_index.remove(level - band, slot)
                        up_index.add(level, slot)
                    elif cond in (BELOW, CROSS_DOWN):
                        if cur < level + band:
                            continue
                        if gone is not None and rising:
                            gone.append((level + band) * KEY_SHIFT + slot)
                        else:
                            up_index.remove(level + band, slot)
                        down_index.add(level, slot)
                    else:
                        if level - band < cur < level + band:
                            continue
                        if gone is None:
                            up_index.remove(level + band, slot)
                            down_index.remove(level - band, slot)
                        elif rising:
                            gone.append((level + band) * KEY_SHIFT + slot)
                            down_index.remove(level - band, slot)
                        else:
                            up_index.remove(level + band, slot)
                            gone.append((level - band) * KEY_SHIFT + slot)
                        up_index.add(level, slot)
                        down_index.add(level, slot)
                    flags_of[slot] = _PLAIN
                    last_of[slot] = cur
                    dirty_add(ids_of[slot])
                else:
                    step(book, slot, prev, cur, at, now, gap, fired)
                continue
            if mode == REPEAT:
                level = level_of[slot]
                if slot in holding:  # a move can only take a holding repeat rule out of its state
                    if cur < level if cond_of[slot] == ABOVE else cur > level:
                        del holding[slot]  # book.next_due stays a lower bound (see step)
                    continue
                # step()'s repeat branch inlined: most crossings of a repeat rule enter its state before it is due
                if expires:
                    when = expires.get(slot)
                    if when is not None and when <= now:
                        continue  # expired: reported by the expiry sweep, never fired again
                if cur >= level if cond_of[slot] == ABOVE else cur <= level:
                    last_fired = last_fired_of.get(slot)
                    if last_fired is not None:
                        due = last_fired + 60.0 * repeat_of.get(slot, 1)
                        if due > now:
                            hold(slot, due)
                            if due < book.next_due:
                                book.next_due = due
                            continue
                    self._fire(book, slot, cur, prev, at, now, gap, fired)  # holds it, due again later
                continue
            if expires:
                when = expires.get(slot)
                if when is not None and when <= now:
                    continue  # expired: reported by the expiry sweep, never fired again
            level = level_of[slot]
            cond = cond_of[slot]
            # condition_hit() inlined
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
                if mode == ONCE:
                    fire_once(book, slot, cond, level, cur, prev, at, now, gap, fired, gone)
                else:
                    fire_every(book, slot, cond, level, cur, prev, at, now, gap, fired, gone)
        if gone:
            (up_index if rising else down_index).remove_sorted(gone)

    def step(
        self, book: SideBook, slot: int, prev: int, cur: int, at: datetime, now: float, gap: bool,
        fired: list[Firing],
    ) -> None:
        """Judge one rule for a move prev -> cur (touching the level counts)."""
        t = self.table
        flags = t.flags[slot]
        if not flags & F_LIVE or flags & BLOCKED:
            return
        expires = t.expires
        if expires and now >= self.expiry_floor:
            when = expires.get(slot)
            if when is not None and when <= now:
                return  # expired: reported by the expiry sweep, never fired again
        level = t.level[slot]
        cond = t.condition[slot]
        mode = t.mode[slot]
        if mode == REPEAT:
            holds = cur >= level if cond == ABOVE else cur <= level
            if not holds:
                book.holding.pop(slot)  # book.next_due stays a lower bound: a stale one costs one look
            elif slot not in book.holding:
                last_fired = t.last_fired.get(slot)
                due = now if last_fired is None else max(now, last_fired + 60.0 * t.repeat.get(slot, 1))
                if due <= now:
                    self._fire(book, slot, cur, prev, at, now, gap, fired)  # holds it, due again later
                else:
                    book.holding.set(slot, due)
                    if due < book.next_due:
                        book.next_due = due
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
                self._rearm(book, slot, cond, level, band, cur)
            return
        # condition_hit() inlined: the hot path
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
            if mode == ONCE:
                self._fire_once(book, slot, cond, level, cur, prev, at, now, gap, fired)
            else:
                self._fire_every(book, slot, cond, level, cur, prev, at, now, gap, fired)

    def _rearm(self, book: SideBook, slot: int, cond: int, level: int, band: int, cur: int) -> None:
        """A disarmed rule re-arms at `cur`: its re-arm entries (level -/+ band) go, its level entries come."""
        t = self.table
        if cond in (ABOVE, CROSS_UP):
            book.down.remove(level - band, slot)
            book.up.add(level, slot)
        elif cond in (BELOW, CROSS_DOWN):
            book.up.remove(level + band, slot)
            book.down.add(level, slot)
        else:
            book.up.remove(level + band, slot)
            book.down.remove(level - band, slot)
            book.up.add(level, slot)
            book.down.add(level, slot)
        t.flags[slot] |= F_ARMED
        t.last[slot] = cur
        self.dirty.add(t.ids[slot])

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
