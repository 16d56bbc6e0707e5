"""e2e: a chat on a terminal-API key (the simulator's SDK face): an fxs_live_ key trades (card and Confirm,
/modify, partial /close, /close all), an fxs_ro_ key is refused every trade with the reason, /history and
/pnl read broker server time (UTC+3) right in the chat's zone, and a broker's suffixed symbols (EURUSDm)
are typed as EURUSD."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from fxbot.chat.types import ReplyKind
from fxbot.domain.access import Scope
from fxbot.simulator.runner import RunningSimulator, start_simulator
from fxbot.storage import Storage
from tests.conftest import sim_test_config
from tests.e2e.conftest import BotHarness, FakeClock, assemble_bot, close_bot, reply_text


async def link_and_bind(bot: BotHarness, secret: str, name: str, scope: str = "") -> str:
    """`/link` the key in the private chat and `/bind` it there; the /link reply's text."""
    linked = reply_text(await bot.say(f"/link {secret} {name} {scope}".strip()))
    bound = await bot.say(f"/bind {name}")
    assert bound[0].kind is ReplyKind.OK, reply_text(bound)
    return linked


@pytest.fixture
async def market(bot: BotHarness) -> BotHarness:
    await bot.set_quote("EURUSD", 1.10000, 1.10002)
    await bot.set_quote("GBPUSD", 1.25000, 1.25006)
    return bot


async def test_a_live_key_trades_modifies_and_closes_through_the_chat(market: BotHarness) -> None:
    bot = market
    linked = await link_and_bind(bot, bot.sim.sdk_keys["full"], "desk", "trade")
    assert "scope trade" in linked and "master key" in linked, linked

    card = (await bot.say("/buy EURUSD 2 sl=20p"))[0]
    assert [b.label for b in card.buttons] == ["Confirm BUY", "Cancel"], reply_text(card)
    assert "stop loss: 1.09802 (20.0 pips)" in reply_text(card)
    assert await bot.sim_positions() == []  # nothing sent before Confirm
    done = await bot.press(card, "Confirm")
    text = reply_text(done.reply)
    assert "BUY 2.00 lots EURUSD filled" in text and "filled at 1.10002" in text, text
    [position] = await bot.sim_positions()
    ticket = bot.sim.sdk_ticket(position["order_id"])
    assert f"position #{ticket}" in text
    assert position["sl"] == pytest.approx(1.09802)
    assert "already" in ((await bot.press(card, "Confirm")).toast or "")  # one order, not two

    text = reply_text(await bot.say(f"/modify {ticket} sl=1.0990 tp=1.1050"))
    assert "modified" in text and "SL 1.09900, TP 1.10500" in text, text
    [position] = await bot.sim_positions()
    assert (position["sl"], position["tp"]) == (pytest.approx(1.099), pytest.approx(1.105))

    text = reply_text(await bot.say(f"/close {ticket} 0.5"))
    assert "partly closed at 1.10000" in text and "1.50 lots remain" in text, text
    [position] = await bot.sim_positions()
    assert position["volume"] == pytest.approx(1.5)

    assert "filled" in reply_text(await bot.say("/sell EURUSD 0.2"))
    assert "filled" in reply_text(await bot.say("/buy GBPUSD 0.1"))
    card = (await bot.say("/close all"))[0]
    assert card.title == "Close 3 positions?" and card.table is not None, reply_text(card)
    assert f"#{ticket}" in reply_text(card)
    result = await bot.press(card, "Close")
    assert "Closed 3 of 3 positions" in reply_text(result.reply), reply_text(result.reply)
    assert await bot.sim_positions() == []


async def test_a_read_only_key_is_refused_trade_scope_and_every_trade_with_the_reason(bot: BotHarness) -> None:
    read_only = bot.sim.sdk_keys["read-only"]
    refused = await bot.say(f"/link {read_only} watch trade")
    text = reply_text(refused)
    assert refused[0].kind is ReplyKind.ERROR
    assert "is a read-only key" in text and "cannot be linked as trade" in text and "nothing was stored" in text
    assert read_only not in text  # the key is never echoed
    assert "watch" not in reply_text(await bot.say("/keys"))

    linked = await link_and_bind(bot, read_only, "watch")
    assert "scope read-only" in linked, linked
    for command in ("/buy EURUSD 0.1", "/sell EURUSD 3", "/buylimit EURUSD 0.1 1.05", "/close all",
                    "/modify 50000001 sl=1.0", "/cancel 50000001"):
        replies = await bot.say(command)
        assert replies[0].kind is ReplyKind.ERROR and "this chat's key is read-only" in reply_text(replies), command
    assert "No open positions" in reply_text(await bot.say("/positions"))  # reading is fine
    assert await bot.sim_positions() == [] and await bot.sim_orders() == []


async def test_a_read_only_key_stored_as_trade_is_refused_by_the_terminal_and_lowered(bot: BotHarness) -> None:
    """A key stored with more scope than it has (an older database): FxSocket's own 403 is the reason given."""
    key = await bot.storage.keys.add(bot.owner.id, "older", bot.sim.sdk_keys["read-only"], Scope.TRADE)
    await bot.storage.bindings.bind(bot.private_chat.id, key.id, bot.owner.id)
    replies = await bot.say("/buy EURUSD 0.1")
    text = reply_text(replies)
    assert replies[0].kind is ReplyKind.ERROR
    assert "FxSocket refused to place the order" in text and "does not have the scope" in text, text
    assert await bot.sim_positions() == []
    stored = await bot.storage.keys.find_by_secret(bot.owner.id, bot.sim.sdk_keys["read-only"])
    assert stored is not None and stored.scope is Scope.READ_ONLY
    assert "this chat's key is read-only" in reply_text(await bot.say("/buy EURUSD 0.1"))


# --- a broker at UTC+3, and a broker with suffixed symbols ---------------------------------------------


@pytest.fixture
async def broker_at_utc3() -> AsyncIterator[RunningSimulator]:
    async with await start_simulator(sim_test_config(paused=True, server_utc_offset_h=3)) as running:
        yield running


@pytest.fixture
async def suffixed_broker() -> AsyncIterator[RunningSimulator]:
    async with await start_simulator(sim_test_config(paused=True, symbol_suffix="m")) as running:
        yield running


async def live_bot(sim: RunningSimulator, tmp_path: Path, env: dict[str, str], clock: FakeClock) -> BotHarness:
    """A bot whose private chat is linked (and so bound) to the simulator's fxs_live_ key, capped to trade."""
    bot = await assemble_bot(sim, await Storage.open(tmp_path / "fxbot.db", env), clock)
    bot.kind = "sdk"
    await bot.say(f"/link {sim.sdk_keys['full']} desk trade")
    return bot


def late_evening_zone(now: datetime) -> str:
    """A fixed-offset zone in which `now` is between 22:00 and 23:00: a time read 3 hours off (broker time
    taken for UTC) would land on the next day there."""
    offset = (22 - now.hour) % 24
    offset = offset - 24 if offset > 14 else offset
    return f"Etc/GMT{-offset:+d}" if offset else "Etc/GMT"


async def test_history_and_pnl_convert_broker_time_to_the_chats_zone(
    broker_at_utc3: RunningSimulator, tmp_path: Path, master_env: dict[str, str]
) -> None:
    now = datetime.now(UTC)
    bot = await live_bot(broker_at_utc3, tmp_path, master_env, FakeClock(current=now))
    try:
        zone = late_evening_zone(now)
        assert "time zone" in reply_text(await bot.say(f"/settings timezone {zone}"))
        assert "filled" in reply_text(await bot.say("/buy EURUSD 0.1"))
        assert "closed at" in reply_text(await bot.say("/close EURUSD"))
        [trade] = (await bot._get("/v1/history"))["trades"]
        closed = datetime.fromisoformat(trade["closed_at"]).astimezone(ZoneInfo(zone))
        net = trade["profit"] + trade["commission"] + trade["swap"]

        history = (await bot.say("/history today"))[0]
        assert history.table is not None and len(history.table.rows) == 1, reply_text(history)
        shown = history.table.rows[0][0]
        # the close time in the chat's zone (the minute the simulator booked it, or the next one)
        assert shown in {f"{t:%Y-%m-%d %H:%M} {t:%Z}" for t in (closed, closed + timedelta(seconds=1))}, shown
        assert f"{net:.2f}" in reply_text(history)

        pnl = await bot.say("/pnl today")
        text = reply_text(pnl)
        assert f"{closed:%Y-%m-%d} 00:00" in text, text  # today is the chat's day
        assert "1 trades: 0 won, 1 lost" in text and f"net {net:.2f} USD" in text, text
    finally:
        await close_bot(bot)


async def test_a_suffixed_broker_is_traded_with_the_plain_symbol(
    suffixed_broker: RunningSimulator, tmp_path: Path, master_env: dict[str, str], fake_clock: FakeClock
) -> None:
    bot = await live_bot(suffixed_broker, tmp_path, master_env, fake_clock)
    try:
        await bot.set_quote("EURUSD", 1.10000, 1.10002)
        quote = (await bot.say("/quote EURUSD"))[0]
        assert quote.title == "EURUSD" and "bid 1.10000   ask 1.10002" in reply_text(quote), reply_text(quote)
        assert "filled at 1.10002" in reply_text(await bot.say("/buy EURUSD 0.1"))
        [position] = await bot.sim_positions()
        assert position["symbol"] == "EURUSD"
        assert "EURUSD | BUY | 0.10 | 1.10002" in reply_text(await bot.say("/positions"))
        assert "did you mean EURUSD" in reply_text(await bot.say("/buy EURUSDD 0.1"))
        assert "closed at 1.10000" in reply_text(await bot.say("/close EURUSD"))
        assert await bot.sim_positions() == []
    finally:
        await close_bot(bot)
