"""Firing of price rules: a rule's state after it fires, runaway pause, and its deferred messages."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from fxbot.alerts.decided_price_firing import DecidedPriceFiring, decided_firing, new_firing
from fxbot.alerts.firing import KIND_RUNAWAY, Firing, runaway_firing
from fxbot.alerts.index import SideBook
from fxbot.alerts.price_store import PriceRuleStore
from fxbot.alerts.price_table import (
    ABOVE,
    BELOW,
    CROSS,
    CROSS_DOWN,
    CROSS_UP,
    EVERY,
    F_ARMED,
    F_DONE,
    F_PAUSED,
    ONCE,
    REPEAT,
    PriceRuleTable,
    RuleSnapshot,
)
from fxbot.alerts.threshold_index import KEY_SHIFT
from fxbot.notify.notification import Severity

RUNAWAY_FIRES = 15
RUNAWAY_WINDOW_S = 180


class PriceFiring(PriceRuleStore):
    """Fires price rules for the evaluator: the fired rule's new state and its deferred Firing(s)."""

    def _fire_once(
        self, book: SideBook, slot: int, cond: int, level: int, cur: int, prev: int, at: datetime, now: float,
        gap: bool, fired: list[Firing], gone: list[int] | None = None,
    ) -> None:
        """_fire() for an armed `once` rule (most firings): its entries go, its slot is released, and the
        snapshot of its final state is made directly. With `gone`, the entry in the moved range (up when
        rising, down when falling) is left for the move to remove with the others: its key is added there."""
        t = self.table
        rule_id = t.ids[slot]
        seq = t.fire_seq[slot]
        if gone is not None:
            gone.append(level * KEY_SHIFT + slot)
            if cond == CROSS:
                (book.down if prev < cur else book.up).remove(level, slot)
        elif cond in (ABOVE, CROSS_UP):
            book.up.remove(level, slot)
        elif cond in (BELOW, CROSS_DOWN):
            book.down.remove(level, slot)
        else:
            book.up.remove(level, slot)
            book.down.remove(level, slot)
        recent = t.recent.get(slot)
        if recent:
            kept = [moment for moment in recent if moment > now - RUNAWAY_WINDOW_S]
            kept.append(now)
            recent = tuple(kept)
        else:
            recent = (now,)
        snap: RuleSnapshot = (
            rule_id, t.chat[slot], t.owner[slot], t.created[slot], cond, level, ONCE,
            (t.flags[slot] | F_DONE) & ~F_ARMED, cur, seq + 1, t.band[slot], t.book[slot], None,
            t.user_band.get(slot), t.expires.get(slot), now, t.notes.get(slot), recent,
        )
        made: DecidedPriceFiring = new_firing(DecidedPriceFiring)  # decided_firing() inlined
        made._args = (t, snap, book, cur, prev if gap else None, seq, at, gap, ())
        made.rule_id = rule_id
        made.chat_id = t.strings[snap[1]]
        made.dedupe_key = f"alert:{rule_id}:{seq}"
        made.at = at
        made.after_gap = gap
        fired.append(made)
        book.live -= 1
        t.release(slot)
        self.dirty.discard(rule_id)

    def _fire_every(
        self, book: SideBook, slot: int, cond: int, level: int, cur: int, prev: int, at: datetime, now: float,
        gap: bool, fired: list[Firing], gone: list[int] | None = None,
    ) -> None:
        """_fire() for an armed `every` rule: its level entries go, the re-arm entries of its new state come
        (computed once, also for its message). `gone`: as for _fire_once()."""
        t = self.table
        rule_id = t.ids[slot]
        seq = t.fire_seq[slot]
        old = t.recent.get(slot)
        if not old:
            recent: tuple[float, ...] = (now,)
        elif old[0] > now - RUNAWAY_WINDOW_S:
            recent = (*old, now)
        else:
            kept = [*old, now]
            while kept[0] <= now - RUNAWAY_WINDOW_S:
                kept.pop(0)
            recent = tuple(kept)
        t.fire_seq[slot] = seq + 1
        t.last_fired[slot] = now
        t.last[slot] = cur
        t.recent[slot] = recent
        user_band = t.user_band.get(slot)
        band = max(-1 if user_band is None else user_band, round(2 * self.spread.get(book.symbol, 0.0)), book.pip)
        t.band[slot] = band  # self.hysteresis() inlined
        flags = t.flags[slot]
        runaway = len(recent) > RUNAWAY_FIRES
        if runaway:
            flags |= F_PAUSED
            book.live -= 1
        # its level entries go; its new state's entries (self.entries() inlined) come unless paused
        up_index, down_index = book.up, book.down
        stays = cond == CROSS and abs(cur - level) >= band  # stays armed: the same entries
        if runaway or not stays:  # its level entries go
            if gone is not None:
                gone.append(level * KEY_SHIFT + slot)
                if cond == CROSS:
                    (down_index if prev < cur else up_index).remove(level, slot)
            elif cond in (ABOVE, CROSS_UP):
                up_index.remove(level, slot)
            elif cond in (BELOW, CROSS_DOWN):
                down_index.remove(level, slot)
            else:
                up_index.remove(level, slot)
                down_index.remove(level, slot)
        if stays:
            rearm: tuple[int, ...] = ()
        else:
            flags &= ~F_ARMED
            rearm_band = band if band > 1 else 1
            if cond in (ABOVE, CROSS_UP):
                rearm = (level - rearm_band,)
                if not runaway:
                    down_index.add(level - rearm_band, slot)
            elif cond in (BELOW, CROSS_DOWN):
                rearm = (level + rearm_band,)
                if not runaway:
                    up_index.add(level + rearm_band, slot)
            else:
                rearm = (level - rearm_band, level + rearm_band)
                if not runaway:
                    up_index.add(level + rearm_band, slot)
                    down_index.add(level - rearm_band, slot)
        t.flags[slot] = flags
        snap: RuleSnapshot = (
            rule_id, t.chat[slot], t.owner[slot], t.created[slot], cond, level, EVERY, flags, cur, seq + 1, band,
            t.book[slot], t.repeat.get(slot), user_band, t.expires.get(slot), now, t.notes.get(slot), recent,
        )  # t.snapshot(slot) inlined
        made: DecidedPriceFiring = new_firing(DecidedPriceFiring)  # decided_firing() inlined
        made._args = (t, snap, book, cur, prev if gap else None, seq, at, gap, rearm)
        made.rule_id = rule_id
        made.chat_id = t.strings[snap[1]]
        made.dedupe_key = f"alert:{rule_id}:{seq}"
        made.at = at
        made.after_gap = gap
        fired.append(made)
        if runaway:
            fired.append(Firing.deferred(
                partial(_runaway_firing, t, snap, book, at, len(recent)), chat_id=t.strings[snap[1]],
                rule_id=rule_id, kind=KIND_RUNAWAY, severity=Severity.WARNING,
                dedupe_key=f"runaway:{rule_id}:{seq + 1}", at=at,
            ))
        self.dirty.discard(rule_id)

    def _fire(
        self, book: SideBook, slot: int, cur: int, prev: int, at: datetime, now: float, gap: bool,
        fired: list[Firing],
    ) -> None:
        t = self.table
        rule_id = t.ids[slot]
        seq = t.fire_seq[slot]
        mode = t.mode[slot]
        recent = [*t.recent.get(slot, ()), now]
        while recent and recent[0] <= now - RUNAWAY_WINDOW_S:
            recent.pop(0)
        if mode != REPEAT:
            self.index_remove(slot)
        t.fire_seq[slot] = seq + 1
        t.last_fired[slot] = now
        t.last[slot] = cur
        t.recent[slot] = tuple(recent)
        rearm: tuple[int, ...] = ()
        if mode == ONCE:
            t.flags[slot] = (t.flags[slot] | F_DONE) & ~F_ARMED
        elif mode == EVERY:
            band = self.hysteresis(book, slot)
            t.band[slot] = band
            level = t.level[slot]
            if not (t.condition[slot] == CROSS and abs(cur - level) >= band):
                t.flags[slot] &= ~F_ARMED
            rearm = self.rearm_points(slot) if not t.flags[slot] & F_ARMED else ()
            self.index_add(slot)
        else:
            due = now + 60.0 * t.repeat.get(slot, 1)
            book.holding.set(slot, due)
            if due < book.next_due:
                book.next_due = due  # a lower bound (see step)
        runaway = mode != ONCE and len(recent) > RUNAWAY_FIRES
        if runaway:
            self.index_remove(slot)
            t.flags[slot] |= F_PAUSED
            book.live -= 1
        snap = t.snapshot(slot)
        chat_id = t.strings[snap[1]]
        fired.append(decided_firing((t, snap, book, cur, prev if gap else None, seq, at, gap, rearm)))
        if runaway:
            fired.append(Firing.deferred(
                partial(_runaway_firing, t, snap, book, at, len(recent)), chat_id=chat_id, rule_id=rule_id,
                kind=KIND_RUNAWAY, severity=Severity.WARNING, dedupe_key=f"runaway:{rule_id}:{seq + 1}", at=at,
            ))
        if mode == ONCE:
            book.live -= 1
            t.release(slot)
        self.dirty.discard(rule_id)


def _runaway_firing(table: PriceRuleTable, snap: RuleSnapshot, book: SideBook, at: datetime, fires: int) -> Firing:
    rule = table.rule_from(snap, book.account_id, book.symbol, book.digits, book.side)
    return runaway_firing(rule, at, fires, RUNAWAY_WINDOW_S)
