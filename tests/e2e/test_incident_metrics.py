"""e2e: the account guard's and the watchdog's incidents show in /metrics (by kind and outcome, once per
incident, not per chat told), as the app wires them (fxbot.ops.wiring.count_incidents)."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from fxbot.config import WatchdogSettings
from fxbot.ops.metrics import Metrics
from fxbot.ops.wiring import app_metrics, count_incidents
from fxbot.watchdog.service import WatchdogService
from tests.e2e.conftest import BotHarness, reply_text


def _incidents(metrics: Metrics, family: str) -> dict[tuple[str, str], float]:
    """{(kind, outcome): count} of one incident counter, parsed from the exposition."""
    found: dict[tuple[str, str], float] = {}
    for parsed in text_string_to_metric_families(metrics.exposition().decode()):
        for sample in parsed.samples:
            if sample.name == f"{family}_total":
                found[(sample.labels["kind"], sample.labels["outcome"])] = sample.value
    return found


async def _order(bot: BotHarness, text: str) -> str:
    replies = await bot.say(text)
    if replies and replies[0].buttons:
        result = await bot.press(replies[0], "Confirm")
        return reply_text(result.reply) if result.reply is not None else (result.toast or "")
    return reply_text(replies)


async def test_guard_warning_close_all_and_refused_orders_are_counted(bot: BotHarness) -> None:
    metrics = app_metrics(["console"])
    count_incidents(metrics, bot.services)
    guard = bot.services.guard
    assert guard is not None and bot.trade_key is not None
    guard.settle_s = 0.0
    key_id, account_id, chats = bot.trade_key.id, (await bot.account_ids())[0], [bot.private_chat.id]
    await bot.set_quote("EURUSD", 1.10000, 1.10002)
    assert "filled" in await _order(bot, "/buy EURUSD 0.5")
    await bot.say("/guard daily-loss 1% warn=80%")
    await guard.check_account(key_id, account_id, chats)
    assert sum(_incidents(metrics, "fxbot_guard_incidents").values()) == 0

    await bot.set_quote("EURUSD", 1.09830, 1.09832)  # the warning, judged twice: told once
    await guard.check_account(key_id, account_id, chats)
    await guard.check_account(key_id, account_id, chats)
    await bot.set_quote("EURUSD", 1.09700, 1.09702)  # past the limit: the close-all
    await guard.check_account(key_id, account_id, chats)
    assert "blocked by the daily loss guard" in await _order(bot, "/buy EURUSD 0.1")

    counted = _incidents(metrics, "fxbot_guard_incidents")
    assert counted[("warning", "sent")] == 1
    assert counted[("close_all", "complete")] == 1
    assert counted[("order_refused", "blocked")] == 1
    assert counted[("close_all", "failed")] == 0 and counted[("order_refused", "exposure")] == 0


async def test_watchdog_incidents_opened_and_recovered_are_counted(bot: BotHarness) -> None:
    metrics = app_metrics(["console"])
    alerts = bot.services.alerts
    watchdog = WatchdogService(storage=bot.storage, brokers=bot.services.brokers, outbox=alerts.outbox,
                               preferences=alerts.preferences, clock=bot.clock.now,
                               settings=WatchdogSettings(rest_failing_after_s=60))
    bot.services.watchdog = watchdog
    count_incidents(metrics, bot.services)
    await watchdog.check_once()
    await bot.fault(fail_next=100_000)
    await watchdog.check_once()  # failing, not for 60 s yet: no incident
    assert _incidents(metrics, "fxbot_watchdog_incidents")[("rest", "opened")] == 0
    bot.clock.advance(61)
    await watchdog.check_once()
    await watchdog.check_once()  # still failing: the same incident
    await bot.fault()
    await watchdog.check_once()

    counted = _incidents(metrics, "fxbot_watchdog_incidents")
    assert counted[("rest", "opened")] == 1 and counted[("rest", "recovered")] == 1
    assert sum(counted.values()) == 2
