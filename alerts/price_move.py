"""Judging price rules on a move prev -> cur: a move's candidates in one loop, one rule, a re-arm.

The evaluator (alerts.price_eval) finds a move's candidates by bisection and hands them here.
"""

from __future__ import annotations

from array import array
from datetime import datetime

from fxbot.alerts.firing import Firing
from fxbot.alerts.index import SideBook
from fxbot.alerts.price_firing import PriceFiring
from fxbot.alerts.price_store import BLOCKED
from fxbot.alerts.price_table import ABOVE, BELOW, CROSS_DOWN, CROSS_UP, F_ARMED, F_LIVE, ONCE, REPEAT
from fxbot.alerts.threshold_index import KEY_SHIFT

BATCH_REMOVE_MIN = 8
"""A move with at least this many candidates removes the entries its firings and re-arms leave in one pass
over the range (ThresholdIndex.remove_sorted) instead of one removal each."""
PLAIN = F_LIVE | F_ARMED
"""The flags of a live, armed rule (the common case)."""


def condition_hit(cond: int, prev: int, cur: int, level: int) -> bool:
    """Whether a price condition holds on the move prev -> cur (integer points; touching counts). The quote loops
    (`PriceMoves.move`, `PriceEvaluator._sync`) inline it."""
    if cond == ABOVE:
        return cur >= level
    if cond == BELOW:
        return cur <= level
    if cond == CROSS_UP:
        return prev < level <= cur
    if cond == CROSS_DOWN:
        return cur <= level < prev
    return prev < level <= cur or cur <= level < prev


class PriceMoves(PriceFiring):
    """Judges rules on a move for the evaluator: `move` (many candidates, the hot loop), `step` (one rule)."""

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
            if flags != PLAIN:
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
                    flags_of[slot] = PLAIN
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
        if condition_hit(cond, prev, cur, level):
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
