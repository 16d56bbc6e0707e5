"""Errors raised by the storage layer; messages are safe to show and never contain secrets."""

from __future__ import annotations


class StorageError(Exception):
    """Base class for every storage failure."""


class DatabaseClosedError(StorageError):
    """An operation was attempted after Database.close()."""


class NotADatabaseError(StorageError):
    """The configured path does not hold a usable SQLite database."""


class SchemaTooNewError(StorageError):
    """The database was written by a newer fxbot than this one."""


class MigrationError(StorageError):
    """A migration failed; the database is left at the previous version."""


class MasterKeyError(StorageError):
    """The master key is missing, malformed or unreadable."""


class MasterKeyMismatchError(MasterKeyError):
    """The master key does not decrypt the secrets already stored."""

    def __init__(self) -> None:
        super().__init__(
            "the master key does not decrypt stored keys: FXBOT_SECRET_KEY or fxbot.key changed?"
        )


class DuplicateName(StorageError):
    """An owner already has a key with this name."""


class KeyNotFound(StorageError):
    """No stored key has the given id."""


class NotBound(StorageError):
    """The chat has no key binding."""


class InvalidValue(StorageError, ValueError):
    """An argument was rejected before anything was written."""


class IntegrityViolation(StorageError):
    """A statement broke a constraint (CHECK, NOT NULL, foreign key, unique); it changed nothing."""


class UniqueViolation(IntegrityViolation):
    """A row with the same unique key (or primary key) already exists."""


class DatabaseUnavailableError(StorageError):
    """The database server cannot be reached, or the connection was lost during a statement (PostgreSQL).

    A write lost this way may or may not have been committed: callers must not blindly repeat one that
    is not idempotent."""
