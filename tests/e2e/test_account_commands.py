"""e2e: /account, /accounts and /use against the real simulator, with good and bad input."""

from __future__ import annotations

import pytest

from fxbot.chat.types import ReplyKind
from fxbot.domain.access import Role
from tests.e2e.conftest import BotHarness, reply_text


async def test_account_shows_the_figures_of_the_chats_account(bot: BotHarness) -> None:
    await bot.set_quote("EURUSD", 1.10000, 1.10002)
    await bot.say("/buy EURUSD 0.5")
    sim = await bot.sim_account()
    replies = await bot.say("/account")
    text = reply_text(replies)
    assert replies[0].title == "Account acc_8xKm2 (login 51234567, ICMarkets MT5)"
    assert f"Balance: {sim['balance']:,.2f} USD" in text
    assert f"Equity: {sim['equity']:,.2f} USD" in text
    assert f"Margin: {sim['margin']:,.2f} USD" in text
    assert f"Free margin: {sim['free_margin']:,.2f} USD" in text
    assert f"Margin level: {sim['margin_level']:,.1f}%" in text
    assert "Leverage: 1:100" in text and "Currency: USD" in text
    # 0.5 lot bought at 1.10002, valued at the bid 1.10000: profit -1.00; commission 0.5 * 3.50 = -1.75
    assert ("Floating P&L (net: profit + commission + swap): -2.75 USD (profit -1.00, commission -1.75, "
            "swap 0.00)") in text


async def test_accounts_lists_every_account_and_marks_this_chats(bot: BotHarness) -> None:
    reply = (await bot.say("/accounts"))[0]
    assert reply.table is not None
    assert [(row[0], row[1], row[3], row[4], row[6]) for row in reply.table.rows] == [
        ("1", "acc_8xKm2", "ICMarkets", "MT5", "connected"),
        ("2", "acc_4pQr7", "Pepperstone", "MT4", "connected"),
    ]
    assert reply.table.rows[0][7] == "◀ this chat" and reply.table.rows[1][7] == ""
    assert "the key's first account" in reply_text(reply)


@pytest.mark.parametrize("ref", ["2", "acc_4pQr7", "login"])
async def test_use_by_number_id_or_login(bot: BotHarness, ref: str) -> None:
    if ref == "login":
        ref = str((await bot._get("/v1/accounts"))[1]["login"])
    replies = await bot.say(f"/use {ref}")
    assert replies[0].kind is ReplyKind.OK and "now uses acc_4pQr7" in reply_text(replies)
    binding = await bot.storage.bindings.get(bot.private_chat.id)
    assert binding is not None and binding.account_id == "acc_4pQr7"
    assert "Currency: EUR" in reply_text(await bot.say("/account"))
    accounts = (await bot.say("/accounts"))[0]
    assert accounts.table is not None and accounts.table.rows[1][7] == "◀ this chat"
    assert "chosen with /use" in reply_text(accounts)


async def test_use_bad_input_changes_nothing(bot: BotHarness) -> None:
    for text, message in [("/use 3", "no account '3'"), ("/use acc_nope", "no account 'acc_nope'"),
                          ("/use", "missing ACCOUNT")]:
        replies = await bot.say(text)
        assert replies[0].kind is ReplyKind.ERROR and message in reply_text(replies), text
    binding = await bot.storage.bindings.get(bot.private_chat.id)
    assert binding is not None and binding.account_id is None


async def test_use_in_a_group_is_for_admins(bot: BotHarness) -> None:
    trader = bot.user("tom")
    group = await bot.group_chat("acc", members={trader: Role.TRADER})
    refused = await bot.say("/use 2", user=trader, chat=group)
    assert refused[0].kind is ReplyKind.ERROR and "needs a chat admin" in reply_text(refused)
    binding = await bot.storage.bindings.get(group.id)
    assert binding is not None and binding.account_id is None
    assert "Currency: USD" in reply_text(await bot.say("/account", user=trader, chat=group))
    assert (await bot.say("/use 2", chat=group))[0].kind is ReplyKind.OK
    assert "Currency: EUR" in reply_text(await bot.say("/account", user=trader, chat=group))


async def test_a_disconnected_account_is_flagged(bot: BotHarness) -> None:
    await bot.set_account_status("disconnected")
    replies = await bot.say("/account")
    assert replies[0].kind is ReplyKind.WARNING
    assert "disconnected — these are the last known figures" in reply_text(replies)
    assert "disconnected" in reply_text(await bot.say("/accounts"))


async def test_a_revoked_key_gets_a_clear_message(bot: BotHarness) -> None:
    await bot.revoke(bot.sim.keys["trade"])
    replies = await bot.say("/account")
    assert replies[0].kind is ReplyKind.ERROR
    assert "'sim-trade' was refused" in reply_text(replies)
