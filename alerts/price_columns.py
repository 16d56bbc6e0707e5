"""Price rules column by column (the cold-start format): dense lists in ascending id order, sparse extras by id."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from fxbot.alerts.price_table import (
    CONDITION_CODE,
    CONDITIONS,
    F_ARMED,
    F_LIVE,
    F_PAUSED,
    MODE_CODE,
    MODES,
    NO_POINTS,
    from_epoch,
    from_us,
    to_us,
)
from fxbot.alerts.rows import parse_recent
from fxbot.alerts.rules import FireState, PriceRule, PriceSide
from fxbot.storage.timestamps import from_db

CONDITION_CODE_BY_TEXT = {c.value: code for c, code in CONDITION_CODE.items()}
MODE_CODE_BY_TEXT = {m.value: code for m, code in MODE_CODE.items()}


def us_of_db(text: str) -> int:
    """A stored timestamp (fxbot.storage.timestamps.to_db) as exact microseconds since the epoch."""
    return to_us(from_db(text))


@dataclass(slots=True)
class PriceColumns:
    """Active price rules, one list per column, all in the same (ascending id) order.

    `level`/`last` are integer points (`last` is NO_POINTS when unknown); `created_us` is
    microseconds since the epoch; `condition`/`mode` are the codes of alerts.price_table;
    `flags` are F_LIVE | F_ARMED | F_PAUSED bits. What most rules lack is in dicts by rule id:
    `rearm_band`, `hysteresis`, `repeat`, `expires` and `last_fired` (epoch seconds), `notes`,
    `recent` (epoch seconds of recent firings).
    """

    ids: Sequence[int]
    account: Sequence[str]
    symbol: Sequence[str]
    side: Sequence[str]
    digits: Sequence[int]
    chat: Sequence[str]
    owner: Sequence[str]
    level: Sequence[int]
    last: Sequence[int]
    created_us: Sequence[int]
    fire_seq: Sequence[int]
    condition: Sequence[int]
    mode: Sequence[int]
    flags: Sequence[int]
    rearm_band: dict[int, float] = field(default_factory=dict)
    hysteresis: dict[int, int] = field(default_factory=dict)
    repeat: dict[int, int] = field(default_factory=dict)
    expires: dict[int, float] = field(default_factory=dict)
    last_fired: dict[int, float] = field(default_factory=dict)
    notes: dict[int, str] = field(default_factory=dict)
    recent: dict[int, tuple[float, ...]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ids)

    def rule_at(self, k: int) -> PriceRule:
        """The rule in row k (the slow path, for an engine that cannot take the rows in bulk)."""
        rule_id = self.ids[k]
        flags = self.flags[k]
        last = self.last[k]
        band = self.rearm_band.get(rule_id)
        state = FireState(
            armed=bool(flags & F_ARMED), last_points=None if last == NO_POINTS else last, fire_seq=self.fire_seq[k],
            recent_fires=self.recent.get(rule_id, ()), last_fired_at=from_epoch(self.last_fired.get(rule_id)),
            paused=bool(flags & F_PAUSED), rearm_band=band,
        )
        return PriceRule(
            id=rule_id, chat_id=self.chat[k], owner_id=self.owner[k], account_id=self.account[k],
            created_at=from_us(self.created_us[k]), symbol=self.symbol[k], digits=self.digits[k],
            side=PriceSide(self.side[k]), condition=CONDITIONS[self.condition[k]], level_points=self.level[k],
            mode=MODES[self.mode[k]], repeat_minutes=self.repeat.get(rule_id),
            hysteresis_points=self.hysteresis.get(rule_id), expires_at=from_epoch(self.expires.get(rule_id)),
            note=self.notes.get(rule_id), state=state,
        )

    @classmethod
    def from_lean_rows(cls, rows: Sequence[Sequence[Any]]) -> PriceColumns:
        """From rows of alerts.rows.LEAN_PRICE_COLUMNS (ascending ids)."""
        cols = cls(
            ids=[r[0] for r in rows], account=[r[3] for r in rows], symbol=[r[5] for r in rows],
            side=[r[7] for r in rows], digits=[r[6] for r in rows], chat=[r[1] for r in rows],
            owner=[r[2] for r in rows], level=[r[9] for r in rows],
            last=[NO_POINTS if r[17] is None else r[17] for r in rows],
            created_us=[us_of_db(r[4]) for r in rows], fire_seq=[r[18] for r in rows],
            condition=[CONDITION_CODE_BY_TEXT[r[8]] for r in rows], mode=[MODE_CODE_BY_TEXT[r[10]] for r in rows],
            flags=[F_LIVE | (F_ARMED if r[16] else 0) | (F_PAUSED if r[15] else 0) for r in rows],
        )
        for r in rows:
            rule_id = r[0]
            if r[11]:
                cols.repeat[rule_id] = r[11]
            if r[12] is not None:
                cols.hysteresis[rule_id] = r[12]
            if r[13] is not None:
                cols.expires[rule_id] = epoch_of_db(r[13])
            if r[14]:
                cols.notes[rule_id] = r[14]
            if r[19] is not None:
                cols.last_fired[rule_id] = epoch_of_db(r[19])
            if r[20]:
                cols.recent[rule_id] = parse_recent(r[20])
            if r[21] is not None:
                cols.rearm_band[rule_id] = r[21]
        return cols


def epoch_of_db(text: str) -> float:
    """A stored timestamp as epoch seconds, equal to what the engine computes from the datetime."""
    return us_of_db(text) / 1e6
