"""`fxbot grant-admin`: gives a group its first fxbot admin from the host (platforms that report no admins)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from fxbot.admin_grant import HOST_ACTOR
from fxbot.cli import main
from fxbot.domain.access import Role
from fxbot.storage import Storage


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in [n for n in os.environ if n.startswith("FXBOT_")]:
        monkeypatch.delenv(name)
    path = tmp_path / "fxbot.yaml"
    path.write_text("database:\n  path: bot.db\n")
    return path


def stored(config: Path, chat_id: str, user_id: str) -> tuple[Role | None, list[str]]:
    async def read() -> tuple[Role | None, list[str]]:
        async with await Storage.open(config.parent / "bot.db", {}) as storage:
            member = await storage.members.get(chat_id, user_id)
            audit = await storage.audit.recent(chat_id)
            return (None if member is None else member.role), [f"{e.user_id} {e.command}" for e in audit]
    return asyncio.run(read())


def test_grant_admin_makes_the_person_admin_of_the_group_and_audits_it(
        config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["grant-admin", "--config", str(config), "matrix:!room", "matrix:@eve"]) == 0
    assert "is now an admin of matrix:!room" in capsys.readouterr().out
    role, audit = stored(config, "matrix:!room", "matrix:@eve")
    assert role is Role.ADMIN
    assert audit == [f"{HOST_ACTOR} grant-admin matrix:@eve"]


@pytest.mark.parametrize(("chat", "user", "said"), [
    ("room", "matrix:@eve", "must be a platform-qualified id"),
    ("matrix:!room", "telegram:42", "different platforms"),
])
def test_bad_ids_are_refused_with_a_reason(config: Path, capsys: pytest.CaptureFixture[str],
                                           chat: str, user: str, said: str) -> None:
    assert main(["grant-admin", "--config", str(config), chat, user]) == 1
    assert said in capsys.readouterr().err
