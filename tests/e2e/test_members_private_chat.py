"""e2e: /members in a private chat in use names its one member, the admin (nothing is stored for it)."""

from __future__ import annotations

from tests.e2e.conftest import BotHarness, reply_text


async def test_members_in_a_private_chat_shows_the_person_using_it_as_admin(bot: BotHarness) -> None:
    await bot.say("/positions")  # the chat is in use
    [reply] = await bot.say("/members")
    assert "nobody" not in reply_text([reply])
    assert reply.table is not None
    assert [(row[0], row[1], row[2]) for row in reply.table.rows] == [("owner", "admin", bot.owner.id)]
    assert "only member and its admin" in reply_text([reply])
