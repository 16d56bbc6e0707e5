"""Compact column storage of live price rules: one slot per rule in parallel arrays, no object per rule.

Dense columns cost 45 bytes per rule (plus 8 for the id map); what most rules lack (a note, an
expiry, a user hysteresis, a repeat interval, a last firing, recent firings) lives in small
per-slot dicts. Slots are reused, rule ids are found through an id -> slot map kept in blocks
(alerts.index.ThresholdIndex, bisection), and a full `PriceRule` is only materialised when one is
needed (a firing, a listing) from a `RuleSnapshot` taken at that moment.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from fxbot.alerts.index import ThresholdIndex
from fxbot.alerts.rules import FireState, Mode, PriceCondition, PriceRule, PriceSide

NO_POINTS = -(2**63)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)

SIDES: tuple[PriceSide, ...] = tuple(PriceSide)
CONDITIONS: tuple[PriceCondition, ...] = tuple(PriceCondition)
MODES: tuple[Mode, ...] = tuple(Mode)
SIDE_CODE = {s: i for i, s in enumerate(SIDES)}
CONDITION_CODE = {c: i for i, c in enumerate(CONDITIONS)}
MODE_CODE = {m: i for i, m in enumerate(MODES)}

# condition and mode codes, used by the evaluator and by the cold-load SQL
ABOVE, BELOW, CROSS, CROSS_UP, CROSS_DOWN = (CONDITION_CODE[c] for c in CONDITIONS)
ONCE, EVERY, REPEAT = (MODE_CODE[m] for m in MODES)

# flag bits
F_LIVE = 1
F_ARMED = 2
F_DONE = 4
F_PAUSED = 8
F_EXPIRED = 16

RuleSnapshot = tuple[int, int, int, int, int, int, int, int, int, int, int, int, int | None, int | None,
                     float | None, float | None, str | None, tuple[float, ...]]
"""A slot's values at one moment (see PriceRuleTable.snapshot), enough to build its PriceRule later."""


def to_us(moment: datetime) -> int:
    """Microseconds since the epoch, exactly (a naive datetime is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - EPOCH) // _ONE_US


def from_us(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


def epoch(moment: datetime) -> float:
    """Epoch seconds, exactly as datetime.timestamp() (a naive datetime is taken as UTC)."""
    return to_us(moment) / 1e6


def from_epoch(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


class PriceRuleTable:
    """Parallel arrays indexed by slot; strings (chats, owners) are interned in one small table."""

    def __init__(self) -> None:
        self.ids = array("I")  # widened to "q" by the first id past 2**32 - 1
        self.level = array("q")
        self.last = array("q")
        self.created = array("q")  # microseconds since the epoch
        self.fire_seq = array("I")
        self.chat = array("H")  # string numbers: widened to "I" past 65,536 distinct chats and owners
        self.owner = array("H")
        self.band = array("i")  # the re-arm band chosen at the last firing (-1: none)
        self.book = array("H")
        self.condition = array("B")
        self.mode = array("B")
        self.flags = array("B")
        # sparse columns, by slot
        self.user_band: dict[int, int] = {}
        self.repeat: dict[int, int] = {}
        self.expires: dict[int, float] = {}
        self.last_fired: dict[int, float] = {}
        self.notes: dict[int, str] = {}
        self.recent: dict[int, tuple[float, ...]] = {}
        self.strings: list[str] = []
        self._string_no: dict[str, int] = {}
        self._free = array("i")
        self._id_map = ThresholdIndex()  # rule id -> slot, in blocks: no change of it touches more than a block
        self.count = 0

    # -- strings ----------------------------------------------------------------------------

    def intern(self, text: str) -> int:
        number = self._string_no.get(text)
        if number is None:
            number = len(self.strings)
            self.strings.append(text)
            self._string_no[text] = number
        return number

    def intern_all(self, texts: Sequence[str]) -> array[int]:
        """The numbers of many strings (one dict lookup each, new ones added first)."""
        known = self._string_no
        for text in set(texts).difference(known):
            self.intern(text)
        self._fit(0)
        return array(self.chat.typecode, map(known.__getitem__, texts))

    def string_number(self, text: str) -> int | None:
        return self._string_no.get(text)

    # -- slots ------------------------------------------------------------------------------

    def slot_of(self, rule_id: int) -> int | None:
        return self._id_map.first(rule_id)

    def insert(self, rule: PriceRule, book: int) -> int:
        """Store a rule (its id must not be stored yet) and return its slot."""
        if rule.id <= 0:
            raise ValueError("store the rule first: it has no id yet")
        if self.slot_of(rule.id) is not None:
            raise ValueError(f"rule {rule.id} is already in the engine")
        s = rule.state
        chat, owner = self.intern(rule.chat_id), self.intern(rule.owner_id)
        self._fit(rule.id)
        flags = F_LIVE | (F_ARMED if s.armed else 0) | (F_DONE if s.done else 0) | (F_PAUSED if s.paused else 0)
        flags |= F_EXPIRED if s.expired_reported else 0
        slot = self._free.pop() if self._free else len(self.ids)
        values = (rule.id, rule.level_points, NO_POINTS if s.last_points is None else s.last_points,
                  to_us(rule.created_at), s.fire_seq, chat, owner,
                  -1 if s.rearm_band is None else round(s.rearm_band), book, CONDITION_CODE[rule.condition],
                  MODE_CODE[rule.mode], flags)
        if slot == len(self.ids):
            for column, value in zip(self._columns(), values, strict=True):
                column.append(value)
        else:
            for column, value in zip(self._columns(), values, strict=True):
                column[slot] = value
        if rule.hysteresis_points is not None:
            self.user_band[slot] = rule.hysteresis_points
        if rule.repeat_minutes:
            self.repeat[slot] = rule.repeat_minutes
        if rule.expires_at is not None:
            self.expires[slot] = epoch(rule.expires_at)
        if s.last_fired_at is not None:
            self.last_fired[slot] = epoch(s.last_fired_at)
        if rule.note:
            self.notes[slot] = rule.note
        if s.recent_fires:
            self.recent[slot] = tuple(s.recent_fires)
        self._map_id(rule.id, slot)
        self.count += 1
        return slot

    def extend(self, columns: Sequence[Sequence[int]]) -> range | None:
        """Append many rules given column-wise (the `_columns()` order) at fresh slots, ids ascending
        and above every stored id; None (nothing stored) when that does not hold."""
        ids = columns[0]
        if not len(ids):
            return range(0)
        last = self._id_map.last_points()
        if self._free or (last is not None and ids[0] <= last):
            return None
        self._fit(ids[-1])
        first = len(self.ids)
        for column, values in zip(self._columns(), columns, strict=True):
            if isinstance(values, array) and values.typecode != column.typecode:
                values = values.tolist()
            column.extend(values)
        self._id_map.extend_sorted(ids, range(first, first + len(ids)))
        self.count += len(ids)
        return range(first, first + len(ids))

    def _fit(self, rule_id: int) -> None:
        """Widen the id or string-number columns when a value would not fit them."""
        if rule_id > 0xFFFFFFFF and self.ids.typecode == "I":
            self.ids = array("q", self.ids)
        if len(self.strings) > 0x10000 and self.chat.typecode == "H":
            self.chat = array("I", self.chat)
            self.owner = array("I", self.owner)

    def _map_id(self, rule_id: int, slot: int) -> None:
        self._id_map.add(rule_id, slot)

    def release(self, slot: int) -> None:
        """Forget the rule in this slot (the slot is reused later)."""
        self._id_map.remove(self.ids[slot], slot)
        self.flags[slot] = 0
        self.ids[slot] = 0
        for sparse in (self.user_band, self.repeat, self.expires, self.last_fired, self.notes, self.recent):
            sparse.pop(slot, None)
        self._free.append(slot)
        self.count -= 1

    def live_slots(self) -> list[int]:
        """The slots of every stored rule, by rule id."""
        return [slot for _, slot in self._id_map.entries()]

    def _columns(self) -> tuple[array[int], ...]:
        return (self.ids, self.level, self.last, self.created, self.fire_seq, self.chat, self.owner, self.band,
                self.book, self.condition, self.mode, self.flags)

    # -- views ------------------------------------------------------------------------------

    def snapshot(self, slot: int) -> RuleSnapshot:
        """Everything about a slot's rule now (cheap: no objects), for building its PriceRule later."""
        return (
            self.ids[slot], self.chat[slot], self.owner[slot], self.created[slot], self.condition[slot],
            self.level[slot], self.mode[slot], self.flags[slot], self.last[slot], self.fire_seq[slot],
            self.band[slot], self.book[slot], self.repeat.get(slot), self.user_band.get(slot),
            self.expires.get(slot), self.last_fired.get(slot), self.notes.get(slot), self.recent.get(slot, ()),
        )

    def state_of(self, slot: int) -> FireState:
        return snapshot_state(self.snapshot(slot))

    def rule_of(self, slot: int, account_id: str, symbol: str, digits: int, side: PriceSide) -> PriceRule:
        """The full rule stored in a slot (its book gives account, symbol, digits and side)."""
        return self.rule_from(self.snapshot(slot), account_id, symbol, digits, side)

    def rule_from(
        self, snap: RuleSnapshot, account_id: str, symbol: str, digits: int, side: PriceSide
    ) -> PriceRule:
        """The PriceRule a snapshot describes."""
        (rule_id, chat, owner, created, cond, level, mode, _flags, _last, _seq, _band, _book, repeat, user_band,
         expires, _last_fired, note, _recent) = snap
        return PriceRule(
            id=rule_id, chat_id=self.strings[chat], owner_id=self.strings[owner], account_id=account_id,
            created_at=from_us(created), symbol=symbol, digits=digits, side=side, condition=CONDITIONS[cond],
            level_points=level, mode=MODES[mode], repeat_minutes=repeat, hysteresis_points=user_band,
            expires_at=from_epoch(expires), note=note, state=snapshot_state(snap),
        )

    def is_expired(self, slot: int, now_epoch: float) -> bool:
        expires = self.expires.get(slot)
        return expires is not None and expires <= now_epoch


def snapshot_state(snap: RuleSnapshot) -> FireState:
    """The fire state a snapshot describes."""
    flags, last, seq, band, last_fired, recent = snap[7], snap[8], snap[9], snap[10], snap[15], snap[17]
    return FireState(
        armed=bool(flags & F_ARMED),
        last_points=None if last == NO_POINTS else last,
        fire_seq=seq,
        recent_fires=recent,
        last_fired_at=from_epoch(last_fired),
        done=bool(flags & F_DONE),
        expired_reported=bool(flags & F_EXPIRED),
        paused=bool(flags & F_PAUSED),
        rearm_band=None if band < 0 else float(band),
    )
