"""`database.url` selects PostgreSQL (also from FXBOT_DATABASE__URL); a bad URL is refused; the URL stays secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from fxbot.config import ConfigError, parse_settings
from fxbot.config_report import redacted
from fxbot.storage import Storage

URL = "postgresql://fxbot:hunter2@db.example:5432/fxbot"


def test_no_url_keeps_sqlite() -> None:
    settings = parse_settings({}, {})
    assert settings.database.url_text() is None and settings.database.path == Path("fxbot.db")


def test_url_from_file_or_environment_and_never_shown() -> None:
    from_file = parse_settings({"database": {"url": URL}}, {})
    from_env = parse_settings({}, {"FXBOT_DATABASE__URL": URL, "FXBOT_DATABASE__POOL_SIZE": "4"})
    assert from_file.database.url_text() == from_env.database.url_text() == URL
    assert from_env.database.pool_size == 4
    assert "hunter2" not in repr(from_file) and "hunter2" not in str(redacted(from_file.model_dump()))


@pytest.mark.parametrize("url", ["mysql://x@y/z", "fxbot.db", "http://db/fxbot"])
def test_a_url_that_is_not_postgresql_is_refused(url: str) -> None:
    with pytest.raises(ConfigError, match=r"database\.url: .*postgresql://") as raised:
        parse_settings({"database": {"url": url}}, {})
    assert url not in str(raised.value)


async def test_storage_opens_postgres_from_the_settings(tmp_path: Path, postgres_url: str) -> None:
    settings = parse_settings({"database": {"url": postgres_url, "path": str(tmp_path / "fxbot.db")}}, {})
    async with await Storage.open(settings.database.path, {}, url=settings.database.url_text()) as storage:
        assert storage.db.dialect == "postgresql"
        await storage.settings.set_value("telegram:1", "lang", "en")
    assert (tmp_path / "fxbot.key").exists() and not (tmp_path / "fxbot.db").exists()
    async with await Storage.open(settings.database.path, {}, url=settings.database.url_text()) as storage:
        assert (await storage.settings.get("telegram:1")).extra == {"lang": "en"}
