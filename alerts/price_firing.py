"""Firing of price rules: a rule's state after it fires, runaway pause, and its deferred messages."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

from fxbot.alerts.firing import KIND_PRICE, KIND_RUNAWAY, Firing, price_firing, runaway_firing
from fxbot.alerts.index import SideBook
from fxbot.alerts.price_alert_payload import price_alert_payload
from fxbot.alerts.price_store import PriceRuleStore
from fxbot.alerts.price_table import (
    ABOVE,
    BELOW,
    CONDITIONS,
    CROSS,
    CROSS_DOWN,
    CROSS_UP,
    EVERY,
    F_ARMED,
    F_DONE,
    F_EXPIRED,
    F_PAUSED,
    MODES,
    NO_POINTS,
    ONCE,
    REPEAT,
    PriceRuleTable,
    RuleSnapshot,
)
from fxbot.alerts.rules import Rule
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
        made: DecidedPriceFiring = _new_firing(DecidedPriceFiring)  # _decided() inlined
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
        made: DecidedPriceFiring = _new_firing(DecidedPriceFiring)  # _decided() inlined
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
        fired.append(_decided((t, snap, book, cur, prev if gap else None, seq, at, gap, rearm)))
        if runaway:
            fired.append(Firing.deferred(
                partial(_runaway_firing, t, snap, book, at, len(recent)), chat_id=chat_id, rule_id=rule_id,
                kind=KIND_RUNAWAY, severity=Severity.WARNING, dedupe_key=f"runaway:{rule_id}:{seq + 1}", at=at,
            ))
        if mode == ONCE:
            book.live -= 1
            t.release(slot)
        self.dirty.discard(rule_id)


_FiringArgs = tuple[PriceRuleTable, RuleSnapshot, SideBook, int, "int | None", int, datetime, bool, tuple[int, ...]]


class DecidedPriceFiring(Firing):
    """A price firing as the quote loop decides it: chat, rule id, dedupe key and time set at once, the
    rule, title and lines built from the snapshot taken at firing time when first read (the writer's burst)."""

    __slots__ = ("_args",)
    _args: _FiringArgs | None
    kind = KIND_PRICE
    severity = Severity.INFO

    def _built(self) -> Rule:
        args: _FiringArgs | None = self._args
        if args is not None:
            full = _price_firing(*args)
            self._rule, self._title, self._lines, self._args = full.rule, full.title, full.lines, None
        assert self._rule is not None
        return self._rule

    @property
    def unbuilt(self) -> bool:
        """True while the rule, title and lines are not built: `outbox_payload` and `fire_row` read the snapshot."""
        return self._args is not None

    def outbox_payload(self) -> str:
        """The compact outbox form of this firing's message (fxbot.alerts.price_alert_payload); only `unbuilt`."""
        args = self._args
        assert args is not None
        _table, snap, book, cur, prev, _seq, _at, gap, rearm = args
        return price_alert_payload(
            snap[0], book.symbol, book.digits, book.side.value, CONDITIONS[snap[4]].value, snap[5],
            MODES[snap[6]].value, snap[12], snap[16], cur, prev, gap, rearm)

    def fire_row(self) -> tuple[object, ...]:
        """The row storing this firing's fire state (AlertRepository.save_price_fire_rows): the engine's state of
        the rule now when it has not fired again since (it carries what changed quietly after, e.g. a re-arm),
        else the state this firing left; only `unbuilt`."""
        args = self._args
        assert args is not None
        table, snap = args[0], args[1]
        if not snap[7] & F_DONE:  # a done rule has left the engine
            slot = table.slot_of(snap[0])
            if slot is not None and table.fire_seq[slot] == snap[9]:
                snap = table.snapshot(slot)
        return snapshot_fire_row(snap)


_new_firing = object.__new__


def _decided(args: _FiringArgs) -> Firing:
    """A DecidedPriceFiring for _price_firing(*args): its plain fields set without a call per field."""
    made: DecidedPriceFiring = _new_firing(DecidedPriceFiring)
    made._args = args
    snap, seq, at = args[1], args[5], args[6]
    made.rule_id = rule_id = snap[0]
    made.chat_id = args[0].strings[snap[1]]
    made.dedupe_key = f"alert:{rule_id}:{seq}"
    made.at = at
    made.after_gap = args[7]
    return made


def _price_firing(
    table: PriceRuleTable, snap: RuleSnapshot, book: SideBook, cur: int, prev: int | None, seq: int,
    at: datetime, gap: bool, rearm: tuple[int, ...],
) -> Firing:
    rule = table.rule_from(snap, book.account_id, book.symbol, book.digits, book.side)
    return price_firing(rule, price_points=cur, prev_points=prev, fire_seq_before=seq, at=at, after_gap=gap,
                        rearm_points=rearm)


def _runaway_firing(table: PriceRuleTable, snap: RuleSnapshot, book: SideBook, at: datetime, fires: int) -> Firing:
    rule = table.rule_from(snap, book.account_id, book.symbol, book.digits, book.side)
    return runaway_firing(rule, at, fires, RUNAWAY_WINDOW_S)


def snapshot_fire_row(snap: RuleSnapshot) -> tuple[object, ...]:
    """`price_fire_values(snapshot_state(snap))` followed by (rule id, fire_seq, expired_reported), made from the
    snapshot's plain values (no FireState, no datetime but the one formatted)."""
    flags, last, seq, band, last_fired = snap[7], snap[8], snap[9], snap[10], snap[15]
    expired = 1 if flags & F_EXPIRED else 0
    return (
        1 if flags & F_ARMED else 0, 1 if flags & F_DONE else 0, expired, None if last == NO_POINTS else last, seq,
        None if last_fired is None else datetime.fromtimestamp(last_fired, UTC).isoformat(timespec="microseconds"),
        ",".join(map(repr, snap[17])), None if band < 0 else float(band), snap[0], seq, expired,
    )
