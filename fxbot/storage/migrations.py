"""The ordered, numbered schema migrations; append new ones, never edit one already released."""

from __future__ import annotations

from typing import NamedTuple


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

_V1_CORE = """
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

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "core: keys, bindings, members, settings, audit", _V1_CORE),
)
"""Every migration this code knows, in order; versions are 1, 2, 3 … without gaps."""
