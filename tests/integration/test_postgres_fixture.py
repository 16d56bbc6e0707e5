"""The PostgreSQL test fixture: a clear skip where no server can start, a failure instead when it is required,
and each test's database is its own."""

from __future__ import annotations

import pytest

from fxbot.storage import open_database
from tests.postgres_server import REQUIRED_ENV, PostgresServer, unavailable


def test_missing_server_is_a_skip_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(REQUIRED_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match="PostgreSQL unavailable: no initdb"):
        unavailable("no initdb")


def test_missing_server_fails_when_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(REQUIRED_ENV, "required")
    with pytest.raises(pytest.fail.Exception, match=r"required .* unavailable: no initdb"):
        unavailable("no initdb")


async def test_each_database_is_fresh_and_migrated(postgres_server: PostgresServer) -> None:
    first, second = await postgres_server.create_database(), await postgres_server.create_database()
    assert first != second and str(postgres_server.socket_dir) in first
    db = await open_database(first)
    try:
        await db.execute("INSERT INTO chat_settings (chat_id) VALUES (?)", ("telegram:1",))
        assert await db.schema_version() > 0
    finally:
        await db.close()
    other = await open_database(second)
    try:
        assert await other.fetch_value("SELECT COUNT(*) FROM chat_settings") == 0
    finally:
        await other.close()
    for url in (first, second):
        await postgres_server.drop_database(url)
