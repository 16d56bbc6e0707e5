"""/digest on|off needs a chat admin — the code, /help and the README say the same (a digest posts to
everyone in the chat on a schedule: a setting of the chat, not a trader's action)."""

from __future__ import annotations

from pathlib import Path

from fxbot.chat.types import ReplyKind
from fxbot.domain.access import Role
from tests.e2e.conftest import BotHarness, reply_text

README = Path(__file__).resolve().parents[2] / "README.md"


async def test_a_trader_may_see_and_ask_for_a_digest_but_not_switch_it(bot: BotHarness) -> None:
    trader = bot.user("tina")
    group = await bot.group_chat("desk", members={trader: Role.TRADER})
    refused = await bot.say("/digest on", user=trader, chat=group)
    assert refused[0].kind is ReplyKind.ERROR and "admin" in reply_text(refused)
    assert await bot.services.digests.schedules(group.id) == []
    assert "no digest is scheduled" in reply_text(await bot.say("/digest", user=trader, chat=group))
    assert "Daily digest" in reply_text(await bot.say("/digest now", user=trader, chat=group))
    switched = await bot.say("/digest on", chat=group)  # the owner administers the group
    assert switched[0].kind is ReplyKind.OK


async def test_help_and_readme_say_switching_digests_needs_a_chat_admin(bot: BotHarness) -> None:
    help_text = reply_text(await bot.say("/help digest"))
    assert "turning digests on or off needs a chat admin" in help_text
    assert "posts to everyone in the chat on a schedule" in help_text
    [row] = [line for line in README.read_text(encoding="utf-8").splitlines() if line.startswith("| `/digest on")]
    needs = row.rstrip(" |").rsplit(" | ", 1)[1]
    assert needs.startswith("viewer; `on`/`off`: admin") and "trader" not in needs
