"""The ordered, numbered schema migrations (MIGRATIONS, below); append new ones here, never edit a released one.

To add a migration: write its SQL text as a constant in this module (after the last _V<n>_ one) and append a
Migration(<next version>, "<area>: <what it adds>", <constant>) to MIGRATIONS at the end of this file. The SQL
of migrations 1-9 lives in migration_sql_v1_to_v9.py only to keep this module small; the list stays here.
"""

from __future__ import annotations

from typing import NamedTuple

from fxbot.storage.migration_sql_v1_to_v9 import (
    V1_CORE,
    V2_ALERTS,
    V3_NOTIFY,
    V4_DIGEST_SCHEDULES,
    V5_NOTIFY_IMAGES,
    V6_ALERT_THREADS,
    V7_BLOCKED_CHATS,
    V8_WEBHOOKS,
    V9_GUARD_WATCHDOG,
)


class Migration(NamedTuple):
    """One schema step: applied once, in a transaction, and recorded in schema_migrations."""

    version: int
    name: str
    sql: str


SCHEMA_MIGRATIONS_DDL = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
)
"""

_V10_MANAGED_STOPS = """
CREATE TABLE managed_stops (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id         TEXT NOT NULL,
    owner_id        TEXT NOT NULL,
    private_chat    INTEGER NOT NULL,
    key_id          INTEGER NOT NULL,
    account_id      TEXT NOT NULL,
    position_id     TEXT NOT NULL,
    symbol          TEXT NOT NULL,
    side            TEXT NOT NULL CHECK (side IN ('BUY', 'SELL')),
    volume          REAL NOT NULL,
    entry_points    INTEGER NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('be', 'trail')),
    distance_points INTEGER NOT NULL DEFAULT 0,
    step_points     INTEGER NOT NULL DEFAULT 0,
    trigger_points  INTEGER NOT NULL DEFAULT 0,
    offset_points   INTEGER NOT NULL DEFAULT 0,
    best_points     INTEGER,
    stop_points     INTEGER,
    failed_points   INTEGER,
    status          TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    thread_id       TEXT,
    created_at      TEXT NOT NULL,
    UNIQUE (account_id, position_id, kind)
);
CREATE INDEX managed_stops_chat ON managed_stops (chat_id);
"""

_V11_ALERT_ACTIONS = """
CREATE TABLE alert_actions (
    rule_id     INTEGER PRIMARY KEY,
    group_id    INTEGER,
    chat_id     TEXT NOT NULL,
    thread_id   TEXT,
    user_id     TEXT NOT NULL,
    user_name   TEXT NOT NULL,
    command     TEXT NOT NULL,
    state       TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'claimed', 'done', 'cancelled')),
    created_at  TEXT NOT NULL,
    finished_at TEXT,
    outcome     TEXT
);
CREATE INDEX alert_actions_group ON alert_actions (group_id) WHERE group_id IS NOT NULL;
CREATE INDEX alert_actions_pending ON alert_actions (state) WHERE state = 'pending';
"""

_V12_NOTIFICATION_ACTIONS = """
CREATE TABLE action_tokens (
    token      TEXT PRIMARY KEY,
    chat_id    TEXT NOT NULL,
    command    TEXT NOT NULL,
    once       INTEGER NOT NULL DEFAULT 1,
    used_at    TEXT,
    used_by    TEXT,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX action_tokens_expiry ON action_tokens (expires_at);
ALTER TABLE notify_outbox ADD COLUMN actions_json TEXT;

CREATE TABLE alert_snoozes (
    rule_id INTEGER PRIMARY KEY,
    chat_id TEXT NOT NULL,
    until   TEXT NOT NULL
);
"""

_V13_OUTBOX_LEASES = """
ALTER TABLE notify_outbox ADD COLUMN claimed_by TEXT;
CREATE INDEX notify_outbox_claims ON notify_outbox (claimed_by, id) WHERE state = 'pending';

CREATE TABLE notify_delivery_leases (
    owner       TEXT PRIMARY KEY,
    lease_until TEXT NOT NULL
);
"""

_V14_LEASES = """
CREATE TABLE leases (
    name        TEXT PRIMARY KEY,
    owner       TEXT NOT NULL,
    lease_until TEXT NOT NULL
);
CREATE INDEX leases_owner ON leases (owner);
"""

_V15_COMPACT_PRICE_ALERTS = """
ALTER TABLE notify_outbox ADD COLUMN price_alert_json TEXT;
"""

_V16_CRITICAL_OUTBOX_INDEX = """
CREATE INDEX notify_outbox_critical ON notify_outbox (id) WHERE state = 'pending' AND severity = 2;
"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "core: keys, bindings, members, settings, audit", V1_CORE),
    Migration(2, "alerts: price and account rules with their fire state", V2_ALERTS),
    Migration(3, "notify: outbox and notification preferences", V3_NOTIFY),
    Migration(4, "scheduling: digest schedules with their last run", V4_DIGEST_SCHEDULES),
    Migration(5, "notify: an optional image per notification (digest charts)", V5_NOTIFY_IMAGES),
    Migration(6, "alerts: the forum topic / thread an alert was set in", V6_ALERT_THREADS),
    Migration(7, "notify: chats that refuse the bot's messages", V7_BLOCKED_CHATS),
    Migration(8, "webhooks: endpoints (token and secret stored as hashes) and seen requests", V8_WEBHOOKS),
    Migration(9, "guard: per-account limits and state; watchdog: chat settings and the bot's heartbeat",
              V9_GUARD_WATCHDOG),
    Migration(10, "management: breakeven and trailing stop rules per position", _V10_MANAGED_STOPS),
    Migration(11, "alerts: the order an alert places when it fires (one-cancels-other groups)", _V11_ALERT_ACTIONS),
    Migration(12, "notify: action buttons on notifications (their tokens, per outbox item); alerts: snoozes",
              _V12_NOTIFICATION_ACTIONS),
    Migration(13, "notify: outbox rows claimed by a delivery process (claimed_by), its lease renewed in one row",
              _V13_OUTBOX_LEASES),
    Migration(14, "scale-out: leases of worker partitions, worker heartbeats and the scheduler leader", _V14_LEASES),
    Migration(15, "notify: a price alert's compact form per outbox row, its text rendered when sent",
              _V15_COMPACT_PRICE_ALERTS),
    Migration(16, "notify: the pending critical rows indexed, claimed ahead of a backlog", _V16_CRITICAL_OUTBOX_INDEX),
)
"""Every migration this code knows, in order; versions are 1, 2, 3 … without gaps."""
