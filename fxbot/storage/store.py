"""Storage: opens the database with its master key and bundles every repository."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

from fxbot.chat.command_scope import forget_reads
from fxbot.storage.audit import AuditRepository
from fxbot.storage.bindings import BindingRepository
from fxbot.storage.chat_settings import ChatSettingsRepository
from fxbot.storage.database import Database
from fxbot.storage.errors import InvalidValue, MasterKeyMismatchError
from fxbot.storage.keys import KeyRepository
from fxbot.storage.members import MemberRepository
from fxbot.storage.migrations import MIGRATIONS, Migration
from fxbot.storage.open_database import open_database
from fxbot.storage.secret_box import SecretBox, load_master_key
from fxbot.storage.timestamps import Clock, utc_now

logger = logging.getLogger(__name__)

CANARY_NAME = "master_key_check"
CANARY_TEXT = "fxbot master key check v1"
"""The storage_meta row holding CANARY_TEXT encrypted: proves a master key fits the database."""


class Storage:
    """The database plus its repositories: `.db .keys .bindings .members .settings .audit`."""

    def __init__(self, db: Database, box: SecretBox, clock: Clock = utc_now) -> None:
        self.db = db
        self.keys = KeyRepository(db, box, clock)
        self.bindings = BindingRepository(db, clock)
        self.members = MemberRepository(db, clock)
        self.settings = ChatSettingsRepository(db)
        self.audit = AuditRepository(db)

    def __repr__(self) -> str:
        return f"Storage({self.db!r})"

    @classmethod
    async def open(
        cls,
        path: Path,
        env: Mapping[str, str],
        *,
        clock: Clock = utc_now,
        migrations: Sequence[Migration] = MIGRATIONS,
        exclusive: bool = False,
        url: str | None = None,
        pool_size: int = 10,
        application_name: str | None = None,
    ) -> Storage:
        """Load the master key, open and migrate the database, and check the key fits it (`exclusive`: see
        open_database).

        With `url` (`postgresql://…`, config `database.url`) the data lives in PostgreSQL and `path` only
        places the `fxbot.key` file (unless FXBOT_SECRET_KEY is set; `application_name`: see open_database);
        otherwise `path` is the SQLite file."""
        box = SecretBox(await asyncio.to_thread(load_master_key, path, env))
        db = await open_database(url or path, migrations=migrations, clock=clock, exclusive=exclusive,
                                 pool_size=pool_size, application_name=application_name)
        try:
            await _check_master_key(db, box)
        except BaseException:
            await db.close()
            raise
        return cls(db, box, clock)

    async def close(self) -> None:
        await self.db.close()

    async def __aenter__(self) -> Storage:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def move_chat(self, old_chat_id: str, new_chat_id: str) -> int:
        """Move everything kept for a chat to its new id (Telegram group → supergroup), atomically.

        Every table with a `chat_id` column is moved, so tables added by later migrations follow
        automatically. Where the new id already has a row with the same key (say a member seen
        in the new chat first), the old chat's row wins. Returns the number of rows moved.
        """
        forget_reads()  # the running command reads what it keeps again (fxbot.chat.command_scope)
        if not old_chat_id or not new_chat_id:
            raise InvalidValue("both chat ids are required")
        if old_chat_id == new_chat_id:
            return 0
        moved = 0
        async with self.db.transaction():
            for table in await self.db.tables_with_column("chat_id"):
                moved += await self.db.update_or_replace(table, "chat_id", old_chat_id, new_chat_id)
        logger.info("moved %d rows from chat %s to %s", moved, old_chat_id, new_chat_id)
        return moved


async def _check_master_key(db: Database, box: SecretBox) -> None:
    """Fail clearly when the master key is not the one the stored secrets were encrypted with."""
    canary = await db.fetch_value("SELECT value FROM storage_meta WHERE name = ?", (CANARY_NAME,))
    if canary is not None:
        if box.decrypt(bytes(canary)) != CANARY_TEXT:
            raise MasterKeyMismatchError()
        return
    sample = await db.fetch_value("SELECT secret_enc FROM api_keys ORDER BY id LIMIT 1")
    if sample is not None:
        box.decrypt(bytes(sample))  # raises MasterKeyMismatchError
    await db.execute(
        "INSERT INTO storage_meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
        (CANARY_NAME, box.encrypt(CANARY_TEXT)),
    )
