"""Fixtures shared by the integration tests: a Storage on each backend."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fxbot.storage import Storage
from tests.postgres_server import postgres_or_none


@pytest.fixture
async def storage(tmp_path: Path, database_url: str) -> AsyncIterator[Storage]:
    """A Storage on each backend (SQLite file, PostgreSQL database); a test module may define its own."""
    async with await Storage.open(tmp_path / "fxbot.db", {}, url=postgres_or_none(database_url)) as opened:
        yield opened
