"""e2e: a Telegram group admin stays protected when getChatAdministrators fails (nothing cached to fall back on)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fxbot.services.team import platform_admin_marker
from fxbot.simulator.runner import RunningSimulator
from tests.fakes.telegram_calls import ApiError
from tests.integration.telegram.harness import TelegramRun, telegram_app

GROUP_ID = -1004321


@pytest.fixture
async def tg(sim_paused: RunningSimulator, tmp_path: Path) -> AsyncIterator[TelegramRun]:
    async with telegram_app(sim_paused, tmp_path) as run:
        yield run


async def test_a_failed_admin_lookup_neither_unmarks_nor_lets_anyone_demote_a_telegram_admin(
        tg: TelegramRun, sim_paused: RunningSimulator) -> None:
    api = tg.api
    olga = api.user(100, "Olga", username="olga")  # Telegram admin of the group
    alice = api.user(101, "Alice", username="alice")  # made an fxbot admin, not a Telegram admin
    group = api.group(GROUP_ID, "desk")
    api.set_admins(GROUP_ID, [olga])
    await tg.say(olga, f"/link {sim_paused.keys['trade']} main trade", expect=lambda c: "linked key" in c.text)
    await tg.say(olga, "/bind main", chat=group, expect=lambda c: "now uses key" in c.text)
    await tg.say(alice, "/help", chat=group, expect=lambda c: "Commands" in c.text)
    await tg.say(olga, "/role @alice admin", chat=group, expect=lambda c: "admin" in c.text)
    marker = platform_admin_marker(f"telegram:{olga['id']}")
    assert await tg.app.storage.settings.get_value(f"telegram:{GROUP_ID}", marker) == "yes"

    # The cache is gone (a restart, an expiry) and Telegram fails to answer once, right when Olga speaks.
    tg.adapter.admins.forget(GROUP_ID)
    api.fail("getChatAdministrators", ApiError(502, "Bad Gateway"), chat_id=GROUP_ID)
    await tg.say(olga, "/members", chat=group, expect=lambda c: "Members" in c.text)
    assert await tg.app.storage.settings.get_value(f"telegram:{GROUP_ID}", marker) == "yes"

    refused = await tg.say(alice, "/role @olga viewer", chat=group,
                           expect=lambda c: "administers this chat" in c.text or "now a viewer" in c.text)
    assert "administers this chat" in refused.text, refused.text
    member = await tg.app.storage.members.get(f"telegram:{GROUP_ID}", f"telegram:{olga['id']}")
    assert member is not None and member.role.value == "admin"
