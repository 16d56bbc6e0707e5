"""Conversion between alert rules and `alert_rules` table rows (full rows and the lean cold-start rows)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from fxbot.alerts.rules import (
    AccountMetric,
    AccountRule,
    FireState,
    Mode,
    PriceCondition,
    PriceRule,
    PriceSide,
    Rule,
)
from fxbot.storage.timestamps import from_db, to_db

RULE_COLUMNS = (
    "chat_id", "owner_id", "account_id", "kind", "created_at", "symbol", "digits", "side", "condition",
    "level_points", "metric", "threshold", "percent", "anchor_tz", "anchor_hour", "anchor_minute", "mode",
    "repeat_minutes", "hysteresis_points", "expires_at", "note",
)
STATE_COLUMNS = (
    "paused", "armed", "done", "expired_reported", "last_points", "fire_seq", "last_fired_at", "recent_fires",
    "rearm_band", "day_id", "day_start_balance", "dormant", "ref_value",
)
ALL_COLUMNS = ("id", *RULE_COLUMNS, *STATE_COLUMNS)
USER_STATE_COLUMNS = ("paused",)
"""State columns the chat owns (pause/resume): never written by a fire-state save, which may be older."""
FIRE_COLUMNS = tuple(c for c in STATE_COLUMNS if c not in USER_STATE_COLUMNS)
"""The columns a fire-state save writes (what the engine decides)."""
PRICE_FIRE_COLUMNS = (
    "armed", "done", "expired_reported", "last_points", "fire_seq", "last_fired_at", "recent_fires", "rearm_band",
)
"""FIRE_COLUMNS a price rule uses (the day, balance, dormancy and reference columns are account rules')."""

LEAN_PRICE_COLUMNS = (
    "id", "chat_id", "owner_id", "account_id", "created_at", "symbol", "digits", "side", "condition",
    "level_points", "mode", "repeat_minutes", "hysteresis_points", "expires_at", "note", "paused", "armed",
    "last_points", "fire_seq", "last_fired_at", "recent_fires", "rearm_band",
)
"""The columns of the lean cold-start rows, in the order `PriceColumns.from_lean_rows` reads them."""


def rule_values(rule: Rule) -> tuple[Any, ...]:
    """The RULE_COLUMNS values of a rule, followed by its STATE_COLUMNS values."""
    if isinstance(rule, PriceRule):
        specific: tuple[Any, ...] = (
            "price", to_db(rule.created_at), rule.symbol, rule.digits, rule.side.value, rule.condition.value,
            rule.level_points, None, None, 0, None, None, None,
        )
        extra: tuple[Any, ...] = (rule.repeat_minutes, rule.hysteresis_points)
    else:
        specific = (
            "account", to_db(rule.created_at), None, None, None, None, None, rule.metric.value, rule.threshold,
            int(rule.percent), rule.anchor_tz, rule.anchor_hour, rule.anchor_minute,
        )
        extra = (None, None)
    expires = None if rule.expires_at is None else to_db(rule.expires_at)
    return (rule.chat_id, rule.owner_id, rule.account_id, *specific, rule.mode.value, *extra, expires, rule.note,
            *state_values(rule.state))


def state_values(s: FireState) -> tuple[Any, ...]:
    """The STATE_COLUMNS values of a fire state."""
    return (
        int(s.paused), int(s.armed), int(s.done), int(s.expired_reported), s.last_points, s.fire_seq,
        None if s.last_fired_at is None else to_db(s.last_fired_at),
        ",".join(repr(t) for t in s.recent_fires), s.rearm_band, s.day_id, s.day_start_balance, int(s.dormant),
        s.ref_value,
    )


def fire_values(s: FireState) -> tuple[Any, ...]:
    """The FIRE_COLUMNS values of a fire state."""
    return (
        int(s.armed), int(s.done), int(s.expired_reported), s.last_points, s.fire_seq,
        None if s.last_fired_at is None else to_db(s.last_fired_at),
        ",".join(repr(t) for t in s.recent_fires), s.rearm_band, s.day_id, s.day_start_balance, int(s.dormant),
        s.ref_value,
    )


def price_fire_values(s: FireState) -> tuple[Any, ...]:
    """The PRICE_FIRE_COLUMNS values of a price rule's fire state."""
    fired_at = s.last_fired_at
    return (
        int(s.armed), int(s.done), int(s.expired_reported), s.last_points, s.fire_seq,
        None if fired_at is None else to_db(fired_at), ",".join(map(repr, s.recent_fires)), s.rearm_band,
    )


def parse_recent(text: str | None) -> tuple[float, ...]:
    if not text:
        return ()
    return tuple(float(part) for part in text.split(",") if part)


def _opt_time(value: Any) -> datetime | None:
    return None if value is None else from_db(str(value))


def rule_from_row(row: Sequence[Any]) -> Rule:
    """A rule from a row of ALL_COLUMNS (by position)."""
    v = dict(zip(ALL_COLUMNS, row, strict=True))
    state = FireState(
        armed=bool(v["armed"]), last_points=v["last_points"], fire_seq=int(v["fire_seq"]),
        recent_fires=parse_recent(v["recent_fires"]), last_fired_at=_opt_time(v["last_fired_at"]),
        done=bool(v["done"]), expired_reported=bool(v["expired_reported"]), paused=bool(v["paused"]),
        rearm_band=v["rearm_band"], day_id=v["day_id"], day_start_balance=v["day_start_balance"],
        dormant=bool(v["dormant"]), ref_value=v["ref_value"],
    )
    common: dict[str, Any] = {
        "id": int(v["id"]), "chat_id": v["chat_id"], "owner_id": v["owner_id"], "account_id": v["account_id"],
        "created_at": from_db(v["created_at"]), "mode": Mode(v["mode"]), "expires_at": _opt_time(v["expires_at"]),
        "note": v["note"], "state": state,
    }
    if v["kind"] == "price":
        return PriceRule(
            **common, symbol=v["symbol"], digits=int(v["digits"]), side=PriceSide(v["side"]),
            condition=PriceCondition(v["condition"]), level_points=int(v["level_points"]),
            repeat_minutes=v["repeat_minutes"], hysteresis_points=v["hysteresis_points"],
        )
    return AccountRule(
        **common, metric=AccountMetric(v["metric"]), threshold=float(v["threshold"]), percent=bool(v["percent"]),
        anchor_tz=v["anchor_tz"], anchor_hour=int(v["anchor_hour"]), anchor_minute=int(v["anchor_minute"]),
    )

