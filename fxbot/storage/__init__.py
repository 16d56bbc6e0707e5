"""Storage: aiosqlite database, numbered migrations, repositories, key encryption."""

from fxbot.domain.redaction import redact_secrets
from fxbot.storage.audit import AuditEntry, AuditRepository
from fxbot.storage.bindings import Binding, BindingRepository
from fxbot.storage.chat_settings import ChatSettings, ChatSettingsRepository
from fxbot.storage.database import Database, WriteResult
from fxbot.storage.errors import (
    DatabaseClosedError,
    DuplicateName,
    InvalidValue,
    KeyNotFound,
    MasterKeyError,
    MasterKeyMismatchError,
    MigrationError,
    NotADatabaseError,
    NotBound,
    SchemaTooNewError,
    StorageError,
)
from fxbot.storage.keys import KeyRepository, StoredKey
from fxbot.storage.members import Member, MemberRepository
from fxbot.storage.migrations import MIGRATIONS, Migration
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
    "DuplicateName",
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
    "SchemaTooNewError",
    "SecretBox",
    "Storage",
    "StorageError",
    "StoredKey",
    "WriteResult",
    "load_master_key",
    "redact_secrets",
]
