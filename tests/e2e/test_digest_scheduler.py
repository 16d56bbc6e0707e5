"""e2e: /digest and the DigestScheduler — schedules restored with the same job ids, catch-up after
downtime (sent once late, or skipped and noted), DST reruns, weekly at the Friday close, digest figures."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fxbot.chat.types import ReplyKind
from fxbot.domain.access import Role
from fxbot.domain.formatting import format_signed_money
from fxbot.notify.composer import compose
from fxbot.notify.outbox import Outbox
from fxbot.scheduling.digest_times import DigestKind
from fxbot.scheduling.scheduler import DigestScheduler
from fxbot.storage import Storage
from tests.e2e.conftest import BotHarness, assemble_bot, close_bot, reply_text
from tests.e2e.report_support import expected_from, history_rows, trade
from tests.waiting import eventually

THU = datetime(2026, 4, 2, 14, 30, tzinfo=UTC)  # the harness clock: Thursday 10:30 in New York (EDT)
THU_CLOSE = datetime(2026, 4, 2, 21, 0, tzinfo=UTC)  # 17:00 EDT
FRI_CLOSE = datetime(2026, 4, 3, 21, 0, tzinfo=UTC)


@pytest.fixture
async def scheduler(bot: BotHarness) -> AsyncIterator[DigestScheduler]:
    """A DigestScheduler on the bot's services and a real outbox, started paused (APScheduler never fires
    on its own in a test: the tests run its job at chosen fake-clock times)."""
    outbox = Outbox(bot.storage.db, bot.clock.now)
    digest_scheduler = DigestScheduler(digests=bot.services.digests, outbox=outbox, clock=bot.clock.now)
    await digest_scheduler.start(paused=True, catch_up_missed=False)
    try:
        yield digest_scheduler
    finally:
        await digest_scheduler.stop()


async def pending(bot: BotHarness) -> list[tuple[str, tuple[str, ...]]]:
    items = await Outbox(bot.storage.db, bot.clock.now).pending()
    return [(item.notification.title, item.notification.lines) for item in items]


async def test_digest_on_off_and_status(bot: BotHarness, scheduler: DigestScheduler) -> None:
    on = await bot.say("/digest on")
    assert on[0].kind is ReplyKind.OK
    assert "daily digest on: weekdays at 17:00 America/New_York — the first one 2026-04-02 17:00 EDT" in \
        reply_text(on)
    assert scheduler.job_ids() == [f"digest:daily:{bot.private_chat.id}"]
    await bot.say("/settings timezone Europe/Berlin")
    await bot.say("/digest weekly on 18:30")  # no zone: the chat's
    status = reply_text(await bot.say("/digest"))
    assert "daily: weekdays at 17:00 America/New_York" in status
    assert "weekly: Fridays at 18:30 Europe/Berlin — next 2026-04-03 18:30 CEST" in status
    assert len(scheduler.job_ids()) == 2
    off = await bot.say("/digest weekly off")
    assert "weekly digest turned off" in reply_text(off)
    assert scheduler.job_ids() == [f"digest:daily:{bot.private_chat.id}"]
    await bot.say("/digest off")
    assert scheduler.job_ids() == []
    assert "no digest is scheduled" in reply_text(await bot.say("/digest"))


async def test_digest_bad_input_and_permissions(bot: BotHarness) -> None:
    for text, message in [
        ("/digest on 25:00", "not a time"),
        ("/digest on 17:00 Mars/Olympus", "unknown time zone"),
        ("/digest on 17:00 Europe/Berlin extra", "at most one time and one time zone"),
        ("/digest sometimes", "not a digest action"),
        ("/digest now please", "'now' takes nothing after it"),
        ("/digest weekly", "say what to do with the weekly digest"),
    ]:
        replies = await bot.say(text)
        assert replies[0].kind is ReplyKind.ERROR, text
        assert message in reply_text(replies), (text, reply_text(replies))
    assert await bot.services.digests.schedules(bot.private_chat.id) == []
    viewer = bot.user("vic")
    group = await bot.group_chat("desk", members={viewer: Role.VIEWER})
    refused = await bot.say("/digest on", user=viewer, chat=group)
    assert refused[0].kind is ReplyKind.ERROR
    assert await bot.services.digests.schedules(group.id) == []
    assert "no digest is scheduled" in reply_text(await bot.say("/digest", user=viewer, chat=group))


async def test_digest_figures_match_the_simulator(bot: BotHarness, scheduler: DigestScheduler) -> None:
    await bot.say("/digest on")
    before = THU_CLOSE - timedelta(days=1)  # Wednesday's close: not part of Thursday's trading day
    trade(bot, "EURUSD", "BUY", open_bid=1.1, close_bid=1.101, opened=before - timedelta(hours=1),
          closed=before - timedelta(minutes=1))
    t = THU_CLOSE - timedelta(hours=6)
    trade(bot, "EURUSD", "BUY", open_bid=1.1, close_bid=1.102, opened=t, closed=t + timedelta(minutes=5))
    trade(bot, "USDJPY", "SELL", open_bid=151.0, close_bid=151.5, opened=t, closed=t + timedelta(hours=1))
    trade(bot, "EURUSD", "SELL", open_bid=1.1, close_bid=1.099, opened=t, closed=t + timedelta(hours=2))
    expected = expected_from(history_rows(bot, start=before))
    assert expected.trades == 3
    bot.clock.current = THU_CLOSE + timedelta(seconds=1)
    assert await scheduler.run_job(bot.private_chat.id, "daily") is True
    [(title, lines)] = await pending(bot)
    text = "\n".join(lines)
    assert title == "Daily digest — Thu 2026-04-02"
    assert "2026-04-01 21:00 UTC → 2026-04-02 21:00 UTC" in text  # in the chat's zone (UTC here)
    assert f"net {format_signed_money(expected.net, 'USD')}" in text
    assert f"3 trades: {expected.wins} won, {expected.losses} lost" in text
    assert f"profit factor {expected.gross_win / -expected.gross_loss:.2f}" in text
    assert "by symbol:" in text and "USDJPY: 1 trades" in text
    assert "margin level now" in text and "no open positions" in text
    [item] = await Outbox(bot.storage.db, bot.clock.now).pending()
    assert item.notification.image is not None and item.notification.image.startswith(b"\x89PNG")
    [part] = compose([(item.id, item.notification)], message_limit=4096)
    assert part.reply.image is not None and part.reply.image.filename == "digest_daily_20260402.png"
    assert part.reply.title == "Daily digest — Thu 2026-04-02" and part.reply.silent
    # The next digest knows the equity at its start: the equity this one saw.
    schedule = await bot.services.digests.store.get(bot.private_chat.id, "daily")
    assert schedule is not None and schedule.last_slot == THU_CLOSE and schedule.last_equity is not None
    bot.clock.current = FRI_CLOSE + timedelta(seconds=2)
    assert await scheduler.run_job(bot.private_chat.id, "daily") is True
    second = "\n".join((await pending(bot))[1][1])
    assert f"equity {schedule.last_equity:,.2f} → " in second and "no closed trades" in second


async def test_a_missed_digest_is_sent_once_late(bot: BotHarness, scheduler: DigestScheduler) -> None:
    await bot.say("/digest on")
    bot.clock.current = THU_CLOSE + timedelta(hours=2)  # the bot was down at the close, back 2 h later
    results = await scheduler.catch_up()
    assert [(r.kind, r.sent_late, r.skipped) for r in results] == [("daily", THU_CLOSE, 0)]
    [(title, lines)] = await pending(bot)
    assert title == "Daily digest — Thu 2026-04-02 (late)"
    assert any(line.startswith("sent late: the bot was not running at 2026-04-02 21:00") for line in lines)
    assert await scheduler.catch_up() == []  # once only
    assert await scheduler.run_job(bot.private_chat.id, "daily") is False  # a late cron run finds it done
    assert len(await pending(bot)) == 1


async def test_a_digest_more_than_6_hours_late_is_skipped_and_noted(bot: BotHarness,
                                                                     scheduler: DigestScheduler) -> None:
    await bot.say("/digest on")
    bot.clock.current = THU_CLOSE + timedelta(hours=7)
    results = await scheduler.catch_up()
    assert [(r.sent_late, r.skipped) for r in results] == [(None, 1)]
    assert await pending(bot) == []
    bot.clock.current = FRI_CLOSE
    assert await scheduler.run_job(bot.private_chat.id, "daily") is True
    [(title, lines)] = await pending(bot)
    assert title == "Daily digest — Fri 2026-04-03"
    assert "1 digest was skipped while the bot was down (Thu 2026-04-02): see /pnl for those days" in lines
    schedule = await bot.services.digests.store.get(bot.private_chat.id, "daily")
    assert schedule is not None and schedule.missed_note is None  # told once


async def test_weekly_digest_at_the_friday_close(bot: BotHarness, scheduler: DigestScheduler) -> None:
    await bot.say("/digest weekly on")
    trigger = scheduler.trigger_for(bot.private_chat.id, "weekly")
    assert trigger is not None
    assert trigger.get_next_fire_time(None, THU) == FRI_CLOSE
    monday = datetime(2026, 3, 30, 13, 0, tzinfo=UTC)
    trade(bot, "EURUSD", "BUY", open_bid=1.1, close_bid=1.103, opened=monday, closed=monday + timedelta(hours=1))
    bot.clock.current = FRI_CLOSE
    assert await scheduler.run_job(bot.private_chat.id, "weekly") is True
    [(title, lines)] = await pending(bot)
    assert title == "Weekly digest — Fri 2026-04-03"
    assert "2026-03-27 21:00 UTC → 2026-04-03 21:00 UTC" in lines[0]
    assert "1 trades: 1 won, 0 lost" in "\n".join(lines)


async def test_a_repeated_wall_time_sends_once(bot: BotHarness, scheduler: DigestScheduler) -> None:
    # Cairo ends DST at midnight between Thursday and Friday: Thursday 23:30 happens twice.
    await bot.say("/digest on 23:30 Africa/Cairo")
    trigger = scheduler.trigger_for(bot.private_chat.id, "daily")
    assert trigger is not None
    first = trigger.get_next_fire_time(None, datetime(2026, 10, 29, 12, tzinfo=UTC))
    after = trigger.get_next_fire_time(first, first + timedelta(minutes=1))
    assert first == datetime(2026, 10, 29, 20, 30, tzinfo=UTC)  # the first 23:30 (EEST)
    assert after == datetime(2026, 10, 30, 21, 30, tzinfo=UTC)  # then Friday's, not the second 23:30
    bot.clock.current = first
    assert await scheduler.run_job(bot.private_chat.id, "daily") is True
    bot.clock.current = first + timedelta(hours=1)  # a run at the second 23:30 anyway (e.g. by hand)
    assert await scheduler.run_job(bot.private_chat.id, "daily") is False
    assert [title for title, _ in await pending(bot)] == ["Daily digest — Thu 2026-10-29"]


async def test_schedules_are_restored_after_a_restart(bot: BotHarness, tmp_path: Path,
                                                      master_env: dict[str, str]) -> None:
    group = await bot.group_chat("desk")
    await bot.say("/digest on 08:00 Europe/Berlin")
    await bot.say("/digest weekly on", chat=group)
    first = DigestScheduler(digests=bot.services.digests, outbox=Outbox(bot.storage.db, bot.clock.now),
                            clock=bot.clock.now)
    await first.start(paused=True)
    ids = first.job_ids()
    assert ids == sorted([f"digest:daily:{bot.private_chat.id}", f"digest:weekly:{group.id}"])
    before = {i: first.trigger_for(*_split(i)) for i in ids}
    await first.stop()
    await close_bot(bot)
    storage = await Storage.open(tmp_path / "fxbot.db", master_env)  # a new process: same file
    again = await assemble_bot(bot.sim, storage, bot.clock)
    try:
        second = DigestScheduler(digests=again.services.digests, outbox=Outbox(storage.db, again.clock.now),
                                 clock=again.clock.now)
        assert await second.start(paused=True) == []  # nothing was missed
        assert second.job_ids() == ids
        for job in ids:
            now_trigger, then = second.trigger_for(*_split(job)), before[job]
            assert now_trigger is not None and then is not None
            assert str(now_trigger) == str(then)
            assert now_trigger.get_next_fire_time(None, THU) == then.get_next_fire_time(None, THU)
        await second.stop()
    finally:
        await close_bot(again)


def _split(job_id: str) -> tuple[str, DigestKind]:
    _, kind, chat_id = job_id.split(":", 2)
    return chat_id, "daily" if kind == "daily" else "weekly"


async def test_digest_now_replies_with_the_day_so_far(bot: BotHarness) -> None:
    t = THU - timedelta(hours=2)
    trade(bot, "EURUSD", "BUY", open_bid=1.1, close_bid=1.102, opened=t, closed=t + timedelta(minutes=5))
    replies = await bot.say("/digest now")
    reply = replies[0]
    assert reply.title == "Daily digest — Thu 2026-04-02 (so far)"
    assert "1 trades: 1 won, 0 lost" in reply_text(replies)
    assert reply.image is not None and reply.image.data.startswith(b"\x89PNG")
    assert await bot.services.digests.schedules(bot.private_chat.id) == []  # nothing scheduled by it


async def test_apscheduler_runs_the_job_on_the_loop(bot: BotHarness) -> None:
    outbox = Outbox(bot.storage.db, bot.clock.now)
    running = DigestScheduler(digests=bot.services.digests, outbox=outbox, clock=bot.clock.now)
    await running.start(catch_up_missed=False)  # not paused: APScheduler's own timer runs the job
    try:
        await bot.say("/digest on")  # the running scheduler picks the new schedule up at once
        bot.clock.current = THU_CLOSE + timedelta(seconds=5)
        assert running.fire_soon(bot.private_chat.id, "daily")
        async def queued() -> bool:
            return bool(await pending(bot))

        await eventually(queued, "APScheduler to run the digest job")
        assert [title for title, _ in await pending(bot)] == ["Daily digest — Thu 2026-04-02"]
        trigger = running.trigger_for(bot.private_chat.id, "daily")
        assert trigger is not None and "America/New_York" in str(trigger)
    finally:
        await running.stop()
    assert bot.services.digests.store is not None and "none" in repr(bot.services.digests)
