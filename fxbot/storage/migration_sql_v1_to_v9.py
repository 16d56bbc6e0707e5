"""SQL text of the released schema migrations 1-9 (the list that numbers them is in migrations.py); never edit."""

from __future__ import annotations

from typing import Final

V1_CORE: Final = """
CREATE TABLE storage_meta (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);

CREATE TABLE api_keys (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id    TEXT NOT NULL,
    name        TEXT NOT NULL,
    scope       TEXT NOT NULL CHECK (scope IN ('read-only', 'trade', 'full')),
    secret_enc  BLOB NOT NULL,
    secret_hmac TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (owner_id, name)
);
CREATE INDEX api_keys_owner_hmac ON api_keys (owner_id, secret_hmac);

CREATE TABLE chat_bindings (
    chat_id    TEXT PRIMARY KEY,
    key_id     INTEGER NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    account_id TEXT,
    bound_by   TEXT NOT NULL,
    bound_at   TEXT NOT NULL
);
CREATE INDEX chat_bindings_key ON chat_bindings (key_id);

CREATE TABLE chat_members (
    chat_id      TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    display_name TEXT NOT NULL,
    name_key     TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('viewer', 'trader', 'admin')),
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (chat_id, user_id)
);
CREATE INDEX chat_members_name ON chat_members (chat_id, name_key);

CREATE TABLE chat_settings (
    chat_id       TEXT PRIMARY KEY,
    confirm_mode  TEXT CHECK (confirm_mode IN ('always', 'never', 'above')),
    confirm_above REAL,
    timezone      TEXT
);

CREATE TABLE chat_setting_values (
    chat_id TEXT NOT NULL,
    name    TEXT NOT NULL,
    value   TEXT NOT NULL,
    PRIMARY KEY (chat_id, name)
);

CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         TEXT NOT NULL,
    chat_id    TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    command    TEXT NOT NULL,
    ok         INTEGER NOT NULL CHECK (ok IN (0, 1)),
    result     TEXT NOT NULL,
    latency_ms REAL NOT NULL,
    order_ref  TEXT
);
CREATE INDEX audit_log_chat ON audit_log (chat_id, at DESC, id DESC);
CREATE INDEX audit_log_order_ref ON audit_log (order_ref) WHERE order_ref IS NOT NULL;
"""

V2_ALERTS: Final = """
CREATE TABLE alert_rules (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id           TEXT NOT NULL,
    owner_id          TEXT NOT NULL,
    account_id        TEXT NOT NULL,
    kind              TEXT NOT NULL CHECK (kind IN ('price', 'account')),
    created_at        TEXT NOT NULL,
    symbol            TEXT,
    digits            INTEGER,
    side              TEXT CHECK (side IN ('bid', 'ask', 'mid')),
    condition         TEXT CHECK (condition IN ('above', 'below', 'cross', 'cross_up', 'cross_down')),
    level_points      INTEGER,
    metric            TEXT CHECK (metric IN ('margin_level', 'free_margin', 'equity_below', 'equity_above',
                                             'drawdown')),
    threshold         REAL,
    percent           INTEGER NOT NULL DEFAULT 0 CHECK (percent IN (0, 1)),
    anchor_tz         TEXT,
    anchor_hour       INTEGER,
    anchor_minute     INTEGER,
    mode              TEXT NOT NULL CHECK (mode IN ('once', 'every', 'repeat')),
    repeat_minutes    INTEGER,
    hysteresis_points INTEGER,
    expires_at        TEXT,
    note              TEXT,
    paused            INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
    armed             INTEGER NOT NULL DEFAULT 1 CHECK (armed IN (0, 1)),
    done              INTEGER NOT NULL DEFAULT 0 CHECK (done IN (0, 1)),
    expired_reported  INTEGER NOT NULL DEFAULT 0 CHECK (expired_reported IN (0, 1)),
    last_points       INTEGER,
    fire_seq          INTEGER NOT NULL DEFAULT 0,
    last_fired_at     TEXT,
    recent_fires      TEXT NOT NULL DEFAULT '',
    rearm_band        REAL,
    day_id            TEXT,
    day_start_balance REAL,
    dormant           INTEGER NOT NULL DEFAULT 0 CHECK (dormant IN (0, 1)),
    ref_value         REAL,
    CHECK ((kind = 'price' AND symbol IS NOT NULL AND level_points IS NOT NULL)
           OR (kind = 'account' AND metric IS NOT NULL AND threshold IS NOT NULL))
);
CREATE INDEX alert_rules_chat ON alert_rules (chat_id, id);
CREATE INDEX alert_rules_account ON alert_rules (account_id, symbol);
"""

V3_NOTIFY: Final = """
CREATE TABLE notify_outbox (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    dedupe_key  TEXT NOT NULL UNIQUE,
    chat_id     TEXT NOT NULL,
    platform    TEXT NOT NULL,
    thread_id   TEXT,
    chat_kind   TEXT CHECK (chat_kind IN ('private', 'group')),
    severity    INTEGER NOT NULL CHECK (severity IN (0, 1, 2)),
    kind        TEXT NOT NULL,
    title       TEXT NOT NULL,
    lines_json  TEXT NOT NULL,
    silent      INTEGER NOT NULL CHECK (silent IN (0, 1)),
    created_at  TEXT NOT NULL,
    enqueued_at TEXT NOT NULL,
    state       TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'sent', 'undeliverable', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,
    finished_at TEXT
);
CREATE INDEX notify_outbox_pending ON notify_outbox (id) WHERE state = 'pending';
CREATE INDEX notify_outbox_chat_pending ON notify_outbox (chat_id, id) WHERE state = 'pending';
CREATE INDEX notify_outbox_finished ON notify_outbox (finished_at) WHERE state <> 'pending';

CREATE TABLE notification_preferences (
    chat_id    TEXT NOT NULL,
    event_type TEXT NOT NULL,
    mode       TEXT NOT NULL CHECK (mode IN ('on', 'silent', 'off')),
    PRIMARY KEY (chat_id, event_type)
);
"""

V4_DIGEST_SCHEDULES: Final = """
CREATE TABLE digest_schedules (
    chat_id     TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('daily', 'weekly')),
    hour        INTEGER NOT NULL CHECK (hour BETWEEN 0 AND 23),
    minute      INTEGER NOT NULL CHECK (minute BETWEEN 0 AND 59),
    timezone    TEXT NOT NULL,
    chat_kind   TEXT NOT NULL CHECK (chat_kind IN ('private', 'group')),
    thread_id   TEXT,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    last_slot   TEXT,
    last_run_at TEXT,
    last_equity REAL,
    missed_note TEXT,
    PRIMARY KEY (chat_id, kind)
);
"""

V5_NOTIFY_IMAGES: Final = """
ALTER TABLE notify_outbox ADD COLUMN image BLOB;
ALTER TABLE notify_outbox ADD COLUMN image_name TEXT;
"""

V6_ALERT_THREADS: Final = """
CREATE TABLE alert_threads (
    rule_id   INTEGER PRIMARY KEY REFERENCES alert_rules(id) ON DELETE CASCADE,
    thread_id TEXT NOT NULL
);
"""

V7_BLOCKED_CHATS: Final = """
CREATE TABLE blocked_chats (
    chat_id    TEXT PRIMARY KEY,
    reason     TEXT NOT NULL,
    blocked_at TEXT NOT NULL
);
"""

V9_GUARD_WATCHDOG: Final = """
CREATE TABLE guard_limits (
    account_id TEXT PRIMARY KEY,
    key_id     INTEGER NOT NULL,
    limits     TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE guard_states (
    account_id       TEXT PRIMARY KEY,
    day_id           TEXT NOT NULL,
    phase            TEXT NOT NULL CHECK (phase IN ('armed', 'warned', 'acting', 'blocked')),
    day_start_equity REAL,
    blocked_until    TEXT,
    trigger          TEXT,
    changed_at       TEXT NOT NULL
);
CREATE TABLE watchdog_settings (
    chat_id         TEXT PRIMARY KEY,
    weekend_minutes INTEGER
);
CREATE TABLE watchdog_heartbeat (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    alive_at      TEXT NOT NULL
);
"""

V8_WEBHOOKS: Final = """
CREATE TABLE webhook_endpoints (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT NOT NULL,
    chat_id      TEXT NOT NULL,
    chat_kind    TEXT NOT NULL CHECK (chat_kind IN ('private', 'group')),
    thread_id    TEXT,
    created_by   TEXT NOT NULL,
    creator_name TEXT NOT NULL,
    token_hash   TEXT UNIQUE,
    secret_hash  TEXT,
    allow_ips    TEXT,
    created_at   TEXT NOT NULL,
    revoked_at   TEXT
);
CREATE UNIQUE INDEX webhook_endpoints_live_name ON webhook_endpoints (chat_id, name) WHERE revoked_at IS NULL;

CREATE TABLE webhook_requests (
    endpoint_id INTEGER NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    request_key TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (endpoint_id, request_key)
);
"""
