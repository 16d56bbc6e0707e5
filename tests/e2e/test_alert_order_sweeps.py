"""When the pending alert orders are re-checked: after a state-changing command that wrote what decides who may
place them (a role, a key, a binding, a chat setting) — not after every /buy or /alert, which change none of it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fxbot.app import RefreshingAuditSink
from fxbot.chat.confirmations import ConfirmationBook
from fxbot.chat.types import ChatRef, Reply
from fxbot.commands.catalog import build_dispatcher
from fxbot.domain.access import Role
from fxbot.services.alert_orders import AlertOrders
from fxbot.services.audit_sink import StorageAuditSink
from tests.e2e.conftest import BotHarness, reply_text
from tests.e2e.test_alert_orders import wire_orders


def count_sweep_reads(bot: BotHarness) -> list[str]:
    """The re-check's reads of the pending orders sent through the database gateway from now on."""
    seen: list[str] = []
    fetch_all: Callable[..., Awaitable[Any]] = bot.storage.db.fetch_all

    async def counted(sql: str, *args: Any, **kwargs: Any) -> Any:
        if "FROM alert_actions WHERE state = 'pending' ORDER BY" in sql:
            seen.append(sql)
        return await fetch_all(sql, *args, **kwargs)

    bot.storage.db.fetch_all = counted  # type: ignore[method-assign]
    return seen


async def pending_orders(bot: BotHarness) -> int:
    return int(await bot.storage.db.fetch_value("SELECT COUNT(*) FROM alert_actions WHERE state = 'pending'"))


def sweeping_dispatcher(bot: BotHarness, orders: AlertOrders) -> None:
    """The harness's dispatcher re-wired as the app wires it: each successful state-changing command asks the
    alert orders for a re-check (fxbot.app's RefreshingAuditSink)."""
    bot.dispatcher = build_dispatcher(bot.services, clock=bot.clock.now,
                                      confirmations=ConfirmationBook(clock=bot.clock.monotonic),
                                      audit=RefreshingAuditSink(StorageAuditSink(bot.storage, bot.clock.now),
                                                                orders.schedule_sweep),
                                      platforms_reporting_admins=frozenset())


async def test_orders_are_re_checked_after_a_role_change_and_not_after_other_commands(bot: BotHarness) -> None:
    posted: list[tuple[ChatRef, Reply]] = []
    orders = wire_orders(bot, posted)
    sweeping_dispatcher(bot, orders)
    trader = bot.user("trader")
    group = await bot.group_chat("desk", members={trader: Role.TRADER})
    await bot.say("/settings confirm never", chat=group)
    made = reply_text(await bot.say("/alert EURUSD above 5 then buy 0.1", user=trader, chat=group))
    assert "Alert with order set" in made, made
    await orders.settle()  # the settings change above was re-checked (nothing to cancel)
    reads = count_sweep_reads(bot)
    for text in ("/alert EURUSD above 6", "/buy EURUSD 0.01", "/close all"):
        await bot.say(text, user=trader, chat=group)
        await orders.settle()
    assert reads == [] and posted == []
    assert await pending_orders(bot) == 1
    demoted = reply_text(await bot.say(f"/role @{trader.display_name} viewer", chat=group))
    assert "viewer" in demoted, demoted
    await orders.settle()
    assert len(reads) == 1
    (where, notice) = posted[-1]
    assert where.id == group.id and "Alert #1 cancelled" in reply_text(notice) and "viewer" in reply_text(notice)
    assert await pending_orders(bot) == 0


async def test_a_write_made_outside_a_command_is_re_checked_at_the_next_command(bot: BotHarness) -> None:
    """A key's scope lowered after the API's 403 fails that command (nothing swept then); the next successful
    state-changing command of any chat re-checks, as does any write of a role, key or binding meanwhile."""
    posted: list[tuple[ChatRef, Reply]] = []
    orders = wire_orders(bot, posted)
    sweeping_dispatcher(bot, orders)
    trader = bot.user("trader")
    group = await bot.group_chat("desk", members={trader: Role.TRADER})
    await bot.say("/alert EURUSD above 5 then buy 0.1", user=trader, chat=group)
    await orders.settle()
    await bot.storage.members.set_role(group.id, trader.id, Role.VIEWER, trader.display_name)
    assert posted == []  # written outside any command: nothing asked for a re-check yet
    await bot.say("/alert EURUSD above 6")  # the owner's private chat: another chat's command
    await orders.settle()
    assert posted and "Alert #1 cancelled" in reply_text(posted[-1][1])


async def test_a_write_during_a_running_re_check_is_re_checked_at_the_next_call(bot: BotHarness) -> None:
    posted: list[tuple[ChatRef, Reply]] = []
    orders = wire_orders(bot, posted)
    trader = bot.user("trader")
    group = await bot.group_chat("desk", members={trader: Role.TRADER})
    await bot.say("/alert EURUSD above 5 then buy 0.1", user=trader, chat=group)
    orders.schedule_sweep()  # running (not awaited yet) when the role changes
    await bot.storage.members.set_role(group.id, trader.id, Role.VIEWER, trader.display_name)
    orders.schedule_sweep()  # one at a time: this one is not started, the write stays owed
    await orders.settle()
    orders.schedule_sweep()
    await orders.settle()
    assert posted and "Alert #1 cancelled" in reply_text(posted[-1][1])
    reads = count_sweep_reads(bot)
    orders.schedule_sweep()  # nothing written since: no re-check
    await orders.settle()
    assert reads == []
