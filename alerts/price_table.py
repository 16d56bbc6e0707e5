"""Compact column storage of live price rules: one slot per rule in parallel arrays, no object per rule.

A million rules cost about 100 bytes each. Slots are stable (freed slots are reused), rule ids are
found through a sorted id -> slot map (bisection), and a full `PriceRule` is only materialised
when one is needed (a firing, a listing).
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left
from datetime import UTC, datetime
from typing import Any

from alerts.rules import FireState, Mode, PriceCondition, PriceRule, PriceSide

NO_POINTS = -(2**63)
NO_TIME = 0.0

SIDES: tuple[PriceSide, ...] = tuple(PriceSide)
CONDITIONS: tuple[PriceCondition, ...] = tuple(PriceCondition)
MODES: tuple[Mode, ...] = tuple(Mode)
SIDE_CODE = {s: i for i, s in enumerate(SIDES)}
CONDITION_CODE = {c: i for i, c in enumerate(CONDITIONS)}
MODE_CODE = {m: i for i, m in enumerate(MODES)}

# condition codes, used by the evaluator
ABOVE, BELOW, CROSS, CROSS_UP, CROSS_DOWN = (CONDITION_CODE[c] for c in CONDITIONS)
ONCE, EVERY, REPEAT = (MODE_CODE[m] for m in MODES)

# flag bits
F_LIVE = 1
F_ARMED = 2
F_DONE = 4
F_PAUSED = 8
F_EXPIRED = 16


def epoch(moment: datetime | None) -> float:
    return NO_TIME if moment is None else moment.timestamp()


def from_epoch(value: float) -> datetime | None:
    return None if value == NO_TIME else datetime.fromtimestamp(value, UTC)


class PriceRuleTable:
    """Parallel arrays indexed by slot; strings (chats, owners) are interned in small tables."""

    def __init__(self) -> None:
        self.ids = array("q")
        self.level = array("q")
        self.last = array("q")
        self.band = array("i")
        self.user_band = array("i")
        self.condition = array("B")
        self.mode = array("B")
        self.flags = array("B")
        self.repeat = array("H")
        self.fire_seq = array("I")
        self.book = array("H")
        self.chat = array("I")
        self.owner = array("I")
        self.created = array("d")
        self.expires = array("d")
        self.last_fired = array("d")
        self.notes: dict[int, str] = {}
        self.recent: dict[int, list[float]] = {}
        self.strings: list[str] = []
        self._string_no: dict[str, int] = {}
        self._free: list[int] = []
        self._sorted_ids = array("q")
        self._sorted_slots = array("i")
        self._tombstones = 0
        self.count = 0

    # -- strings ----------------------------------------------------------------------------

    def intern(self, text: str) -> int:
        number = self._string_no.get(text)
        if number is None:
            number = len(self.strings)
            self.strings.append(text)
            self._string_no[text] = number
        return number

    # -- slots ------------------------------------------------------------------------------

    def slot_of(self, rule_id: int) -> int | None:
        at = bisect_left(self._sorted_ids, rule_id)
        if at < len(self._sorted_ids) and self._sorted_ids[at] == rule_id:
            slot = self._sorted_slots[at]
            return None if slot < 0 else slot
        return None

    def insert(self, rule: PriceRule, book: int) -> int:
        """Store a rule (its id must not be stored yet) and return its slot."""
        if rule.id <= 0:
            raise ValueError("store the rule first: it has no id yet")
        if self.slot_of(rule.id) is not None:
            raise ValueError(f"rule {rule.id} is already in the engine")
        s = rule.state
        flags = F_LIVE | (F_ARMED if s.armed else 0) | (F_DONE if s.done else 0) | (F_PAUSED if s.paused else 0)
        flags |= F_EXPIRED if s.expired_reported else 0
        slot = self.append_raw(
            rule.id, rule.level_points, NO_POINTS if s.last_points is None else s.last_points,
            -1 if s.rearm_band is None else round(s.rearm_band),
            -1 if rule.hysteresis_points is None else rule.hysteresis_points,
            CONDITION_CODE[rule.condition], MODE_CODE[rule.mode], flags, rule.repeat_minutes or 0,
            s.fire_seq, book, self.intern(rule.chat_id), self.intern(rule.owner_id),
            rule.created_at.timestamp(), epoch(rule.expires_at), epoch(s.last_fired_at),
        )
        if rule.note:
            self.notes[rule.id] = rule.note
        if s.recent_fires:
            self.recent[rule.id] = list(s.recent_fires)
        return slot

    def append_raw(
        self, rule_id: int, level: int, last: int, band: int, user_band: int, condition: int, mode: int,
        flags: int, repeat: int, fire_seq: int, book: int, chat: int, owner: int,
        created: float, expires: float, last_fired: float,
    ) -> int:
        """Store one rule from plain values (the cold-start path); returns its slot."""
        values = (rule_id, level, last, band, user_band, condition, mode, flags, repeat, fire_seq, book, chat,
                  owner, created, expires, last_fired)
        columns = self._columns()
        if self._free:
            slot = self._free.pop()
            for column, value in zip(columns, values, strict=True):
                column[slot] = value
        else:
            slot = len(self.ids)
            for column, value in zip(columns, values, strict=True):
                column.append(value)
        if not self._sorted_ids or rule_id > self._sorted_ids[-1]:
            self._sorted_ids.append(rule_id)
            self._sorted_slots.append(slot)
        else:
            at = bisect_left(self._sorted_ids, rule_id)
            if at < len(self._sorted_ids) and self._sorted_ids[at] == rule_id:
                self._sorted_slots[at] = slot  # a released id coming back: reuse its tombstone
                self._tombstones -= 1
            else:
                self._sorted_ids.insert(at, rule_id)
                self._sorted_slots.insert(at, slot)
        self.count += 1
        return slot

    def extend_columns(self, columns: tuple[list[Any], ...]) -> range | list[int]:
        """Store many rules given column-wise (append_raw's order); returns their slots.

        The cold-start path: with no free slot and ascending new ids the arrays are extended in
        one call per column; otherwise rules are stored one by one.
        """
        ids = columns[0]
        count = len(ids)
        if self._free or (self._sorted_ids and ids[0] <= self._sorted_ids[-1]) or ids != sorted(ids):
            return [self.append_raw(*values) for values in zip(*columns, strict=True)]
        first = len(self.ids)
        for column, values in zip(self._columns(), columns, strict=True):
            column.extend(values)
        self._sorted_ids.extend(ids)
        self._sorted_slots.extend(range(first, first + count))
        self.count += count
        return range(first, first + count)

    def release(self, slot: int) -> None:
        """Forget the rule in this slot (the slot is reused later)."""
        rule_id = self.ids[slot]
        at = bisect_left(self._sorted_ids, rule_id)
        if at < len(self._sorted_ids) and self._sorted_ids[at] == rule_id and self._sorted_slots[at] >= 0:
            # a tombstone (O(1)) instead of shifting the whole id map; compacted once they are many
            self._sorted_slots[at] = -1
            self._tombstones += 1
            if self._tombstones > 1024 and self._tombstones * 2 > len(self._sorted_ids):
                self._compact_id_map()
        self.flags[slot] = 0
        self.ids[slot] = 0
        self.notes.pop(rule_id, None)
        self.recent.pop(rule_id, None)
        self._free.append(slot)
        self.count -= 1

    def live_slots(self) -> list[int]:
        return [slot for slot in self._sorted_slots if slot >= 0]

    def _compact_id_map(self) -> None:
        keep = [i for i, slot in enumerate(self._sorted_slots) if slot >= 0]
        self._sorted_ids = array("q", [self._sorted_ids[i] for i in keep])
        self._sorted_slots = array("i", [self._sorted_slots[i] for i in keep])
        self._tombstones = 0

    def _columns(self) -> tuple[Any, ...]:
        return (self.ids, self.level, self.last, self.band, self.user_band, self.condition, self.mode,
                self.flags, self.repeat, self.fire_seq, self.book, self.chat, self.owner, self.created,
                self.expires, self.last_fired)

    # -- views ------------------------------------------------------------------------------

    def state_of(self, slot: int) -> FireState:
        flags = self.flags[slot]
        last = self.last[slot]
        band = self.band[slot]
        return FireState(
            armed=bool(flags & F_ARMED),
            last_points=None if last == NO_POINTS else last,
            fire_seq=self.fire_seq[slot],
            recent_fires=tuple(self.recent.get(self.ids[slot], ())),
            last_fired_at=from_epoch(self.last_fired[slot]),
            done=bool(flags & F_DONE),
            expired_reported=bool(flags & F_EXPIRED),
            paused=bool(flags & F_PAUSED),
            rearm_band=None if band < 0 else float(band),
        )

    def rule_of(self, slot: int, account_id: str, symbol: str, digits: int, side: PriceSide) -> PriceRule:
        """The full rule stored in a slot (its book gives account, symbol, digits and side)."""
        rule_id = self.ids[slot]
        user_band = self.user_band[slot]
        created = from_epoch(self.created[slot])
        return PriceRule(
            id=rule_id,
            chat_id=self.strings[self.chat[slot]],
            owner_id=self.strings[self.owner[slot]],
            account_id=account_id,
            created_at=created if created is not None else datetime.fromtimestamp(0, UTC),
            symbol=symbol,
            digits=digits,
            side=side,
            condition=CONDITIONS[self.condition[slot]],
            level_points=self.level[slot],
            mode=MODES[self.mode[slot]],
            repeat_minutes=self.repeat[slot] or None,
            hysteresis_points=None if user_band < 0 else user_band,
            expires_at=from_epoch(self.expires[slot]),
            note=self.notes.get(rule_id),
            state=self.state_of(slot),
        )

    def is_expired(self, slot: int, now_epoch: float) -> bool:
        expires = self.expires[slot]
        return expires != NO_TIME and not math.isnan(expires) and expires <= now_epoch
