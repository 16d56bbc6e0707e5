"""Storage: the database gateway (SQLite or PostgreSQL), numbered migrations, repositories, key encryption."""

from fxbot.domain.redaction import redact_secrets
from fxbot.storage.audit import AuditEntry, AuditRepository
from fxbot.storage.bindings import Binding, BindingRepository
from fxbot.storage.chat_settings import ChatSettings, ChatSettingsRepository
from fxbot.storage.database import Database, Row, WriteResult
from fxbot.storage.errors import (
    DatabaseClosedError,
    DatabaseUnavailableError,
    DuplicateName,
    IntegrityViolation,
    InvalidValue,
    KeyNotFound,
    MasterKeyError,
    MasterKeyMismatchError,
    MigrationError,
    NotADatabaseError,
    NotBound,
    SchemaTooNewError,
    StorageError,
    UniqueViolation,
)
from fxbot.storage.keys import KeyRepository, StoredKey
from fxbot.storage.members import Member, MemberRepository
from fxbot.storage.migrations import MIGRATIONS, Migration
from fxbot.storage.open_database import open_database
from fxbot.storage.secret_box import SecretBox, load_master_key
from fxbot.storage.store import Storage

__all__ = [
    "MIGRATIONS",
    "AuditEntry",
    "AuditRepository",
    "Binding",
    "BindingRepository",
    "ChatSettings",
    "ChatSettingsRepository",
    "Database",
    "DatabaseClosedError",
    "DatabaseUnavailableError",
    "DuplicateName",
    "IntegrityViolation",
    "InvalidValue",
    "KeyNotFound",
    "KeyRepository",
    "MasterKeyError",
    "MasterKeyMismatchError",
    "Member",
    "MemberRepository",
    "Migration",
    "MigrationError",
    "NotADatabaseError",
    "NotBound",
    "Row",
    "SchemaTooNewError",
    "SecretBox",
    "Storage",
    "StorageError",
    "StoredKey",
    "UniqueViolation",
    "WriteResult",
    "load_master_key",
    "open_database",
    "redact_secrets",
]
