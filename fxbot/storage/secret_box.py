"""Encryption of API keys at rest (Fernet) and loading of the master key from env or key file."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import stat
from collections.abc import Mapping
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from fxbot.storage.errors import MasterKeyError, MasterKeyMismatchError

logger = logging.getLogger(__name__)

ENV_VAR = "FXBOT_SECRET_KEY"
KEY_FILE_NAME = "fxbot.key"
_LOOKUP_CONTEXT = b"fxbot/api-key-lookup/v1"
_GENERATE_HINT = (
    "generate one with: python -c \"from cryptography.fernet import Fernet; "
    'print(Fernet.generate_key().decode())"'
)


class SecretBox:
    """Encrypts and decrypts secrets with one master key; its repr never shows the key."""

    __slots__ = ("_fernet", "_lookup_key")

    def __init__(self, master_key: bytes) -> None:
        try:
            self._fernet = Fernet(master_key)
        except (ValueError, TypeError):
            raise MasterKeyError(
                "the master key is not a valid Fernet key (32 url-safe base64-encoded bytes)"
            ) from None
        # A separate key for lookups, derived so the HMAC column never reuses the encryption key.
        self._lookup_key = hmac.new(master_key, _LOOKUP_CONTEXT, hashlib.sha256).digest()

    def __repr__(self) -> str:
        return "SecretBox(<master key hidden>)"

    __str__ = __repr__

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("SecretBox cannot be pickled")

    def encrypt(self, plain: str) -> bytes:
        """Encrypt (and authenticate) a secret; the token is safe to store."""
        return self._fernet.encrypt(plain.encode("utf-8"))

    def decrypt(self, token: bytes) -> str:
        """Decrypt a stored token; a token from another master key raises MasterKeyMismatchError."""
        try:
            return self._fernet.decrypt(token).decode("utf-8")
        except InvalidToken:
            raise MasterKeyMismatchError() from None

    def lookup_digest(self, plain: str) -> str:
        """HMAC-SHA256 of a secret under a key derived from the master key (for duplicate lookup)."""
        return hmac.new(self._lookup_key, plain.encode("utf-8"), hashlib.sha256).hexdigest()


def load_master_key(db_path: Path, env: Mapping[str, str]) -> bytes:
    """The master key: FXBOT_SECRET_KEY if set, else `fxbot.key` beside the database (created 0600).

    A set-but-empty FXBOT_SECRET_KEY is an error, not "unset". The key file is only created for a
    new database; an existing database without its key file is refused with a clear message.

    A key file readable by group or others is tightened to 0600 with a warning (the key may
    already have been read: consider rotating); if it cannot be tightened, loading is refused.
    """
    if ENV_VAR in env:
        return _validated(env[ENV_VAR].strip().encode("ascii", "replace"), ENV_VAR)
    key_path = db_path.parent / KEY_FILE_NAME
    if not key_path.exists() and _has_data(db_path):
        # A new key could never decrypt what is stored: refuse rather than leave a useless key file.
        raise MasterKeyError(
            f"the database {db_path} already exists but its key file {key_path} is missing: "
            f"restore the key file or set {ENV_VAR} to the key it was created with"
        )
    key_path.parent.mkdir(parents=True, exist_ok=True)
    created = _create_key_file(key_path)
    if created is not None:
        logger.info("created a new master key file at %s (mode 0600)", key_path)
        return created
    return _read_key_file(key_path)


def _has_data(db_path: Path) -> bool:
    try:
        return db_path.stat().st_size > 0
    except OSError:
        return False


def _validated(key: bytes, source: str) -> bytes:
    """The key if Fernet accepts it; errors name the source, never the value."""
    if not key:
        raise MasterKeyError(f"{source} is empty; {_GENERATE_HINT}")
    try:
        Fernet(key)
    except (ValueError, TypeError):
        raise MasterKeyError(
            f"{source} is not a valid Fernet key (32 url-safe base64-encoded bytes); {_GENERATE_HINT}"
        ) from None
    return key


def _create_key_file(key_path: Path) -> bytes | None:
    """Create the key file atomically (O_EXCL, mode 0600); None when it already exists."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(key_path, flags, 0o600)
    except FileExistsError:
        return None
    except OSError as exc:
        raise MasterKeyError(f"cannot create master key file {key_path}: {exc.strerror}") from None
    key = Fernet.generate_key()
    try:
        os.write(fd, key + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    return key


def _read_key_file(key_path: Path) -> bytes:
    try:
        info = key_path.lstat()
    except OSError as exc:
        raise MasterKeyError(f"cannot read master key file {key_path}: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise MasterKeyError(f"master key file {key_path} is not a regular file")
    if os.name == "posix" and info.st_mode & 0o077:
        try:
            os.chmod(key_path, 0o600)
        except OSError:
            raise MasterKeyError(
                f"master key file {key_path} is readable by other users (mode "
                f"{stat.S_IMODE(info.st_mode):04o}) and cannot be restricted; run: chmod 600 {key_path}"
            ) from None
        logger.warning(
            "master key file %s was readable by other users (mode %04o); restricted it to 0600 — "
            "consider rotating the key",
            key_path,
            stat.S_IMODE(info.st_mode),
        )
    try:
        raw = key_path.read_bytes().strip()
    except OSError as exc:
        raise MasterKeyError(f"cannot read master key file {key_path}: {exc.strerror}") from None
    return _validated(raw, f"master key file {key_path}")
