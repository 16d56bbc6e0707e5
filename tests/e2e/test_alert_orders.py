"""Alerts that trade: `/alert … then ORDER` places the order once when the alert fires, through the running app
and the simulator's price stream; after a restart it is not placed again, and an alert that fires only after a
restart still places it; one-cancels-other pairs; access re-checked when it fires."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from fxbot.alerts.order_store import AlertOrder, AlertOrderStore
from fxbot.chat.types import ChatRef, Reply
from fxbot.domain.access import Role
from fxbot.domain.instruments import INSTRUMENTS
from fxbot.services.alert_orders import AlertOrders
from fxbot.services.chat_context import StorageChatContextResolver
from fxbot.simulator.runner import RunningSimulator
from tests.e2e.conftest import BotHarness, reply_text
from tests.e2e.console_app_driver import ConsoleApp
from tests.waiting import eventually


async def _positions(app: ConsoleApp) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = await app.rest("GET", "/v1/positions")
    return rows


async def test_an_alert_places_its_order_once_and_not_again_after_a_restart(
        sim_paused: RunningSimulator, tmp_path: Path, master_env: dict[str, str]) -> None:
    db = tmp_path / "bot.db"
    first = ConsoleApp(sim_paused, db, master_env)
    await first.start()
    try:
        bid = float((await first.quote("EURUSD"))["bid"])
        above = round(bid + 0.0010, 5)
        set_reply = await first.say(f"/alert EURUSD above {above:.5f} then buy 0.1 sl=20p tp=40p")
        assert "Alert with order set" in set_reply and "/buy EURUSD 0.1 sl=20p tp=40p" in set_reply, set_reply
        assert await _positions(first) == []
        assert "→ then /buy EURUSD 0.1 sl=20p tp=40p" in await first.say("/alerts")
        await first.until(lambda: first.subscribed("EURUSD"), "the EURUSD quote subscription")
        await first.move("EURUSD", above + 0.0002)
        await first.wait_for("Alert #1 fired")
        await first.until(lambda: "filled" in first.output.split("Alert #1 fired", 1)[1], "the fill")
        (position,) = await _positions(first)
        assert position["symbol"] == "EURUSD" and position["sl"] and position["tp"]
        await first.recorded()
    finally:
        await first.kill()
    second = ConsoleApp(sim_paused, db, master_env)
    await second.move("EURUSD", above + 0.0004)
    await second.start()
    try:
        await second.settle(0.8)
        assert "Alert #1 fired" not in second.output
        assert len(await _positions(second)) == 1
    finally:
        await second.kill()


async def test_an_alert_that_fires_after_a_restart_still_places_its_order_and_oco_drops_the_other(
        sim_paused: RunningSimulator, tmp_path: Path, master_env: dict[str, str]) -> None:
    db = tmp_path / "bot.db"
    first = ConsoleApp(sim_paused, db, master_env)
    await first.start()
    try:
        bid = float((await first.quote("EURUSD"))["bid"])
        above, below = round(bid + 0.0010, 5), round(bid - 0.0010, 5)
        reply = await first.say(f"/alert EURUSD above {above:.5f} then buy 0.1 | below {below:.5f} then sell 0.2")
        assert "one-cancels-other" in reply and "/sell EURUSD 0.2" in reply, reply
    finally:
        await first.kill()
    second = ConsoleApp(sim_paused, db, master_env)
    await second.start()
    try:
        await second.until(lambda: second.subscribed("EURUSD"), "the EURUSD quote subscription")
        await second.move("EURUSD", below - 0.0002)
        await second.wait_for("Alert #2 fired")
        await second.until(lambda: "filled" in second.output.split("Alert #2 fired", 1)[1], "the fill")
        (position,) = await _positions(second)
        assert str(position["type"]).upper() == "SELL" and float(str(position["volume"])) == 0.2, position
        await second.move("EURUSD", above + 0.0003)
        await second.settle(0.6)
        assert "Alert #1 fired" not in second.output  # its partner fired first: deleted
        assert len(await _positions(second)) == 1
        listing = await second.say("/alerts")
        assert "#1" not in listing and "#2" not in listing, listing
    finally:
        await second.kill()


def wire_orders(bot: BotHarness, posted: list[tuple[ChatRef, Reply]]) -> AlertOrders:
    """Alert orders on the harness's services and dispatcher, posting into `posted`."""

    async def post(chat: ChatRef, reply: Reply) -> None:
        posted.append((chat, reply))

    resolver = StorageChatContextResolver(storage=bot.storage, platforms_reporting_admins=frozenset())
    orders = AlertOrders(store=AlertOrderStore(bot.storage.db, bot.clock.now), alerts=bot.services.alerts,
                         handler=bot.dispatcher, resolver=resolver, post=post, known_symbols=sorted(INSTRUMENTS),
                         clock=bot.clock.now)
    bot.services.alert_orders = orders
    return orders


async def test_access_is_checked_again_when_it_fires_and_a_demoted_trader_places_nothing(bot: BotHarness) -> None:
    posted: list[tuple[ChatRef, Reply]] = []
    orders = wire_orders(bot, posted)
    trader = bot.user("trader")
    viewer = bot.user("viewer")
    group = await bot.group_chat("desk", members={trader: Role.TRADER, viewer: Role.VIEWER})
    await bot.say("/settings confirm never", chat=group)
    refused = reply_text(await bot.say("/alert EURUSD above 5 then buy 0.1", user=viewer, chat=group))
    assert "viewer" in refused
    made = reply_text(await bot.say("/alert EURUSD above 5 then buy 0.1", user=trader, chat=group))
    assert "Alert with order set" in made, made
    bad = reply_text(await bot.say("/alert EURUSD above 5 then fly 0.1", user=trader, chat=group))
    assert "not an order" in bad
    (rule,) = bot.services.alerts.engine.rules_for_chat(group.id)
    await bot.storage.members.set_role(group.id, trader.id, Role.VIEWER, trader.display_name)
    await orders.fire(rule.id)
    assert await bot.sim_positions() == []
    (where, warning) = posted[-1]
    assert where.id == group.id and "was not placed" in reply_text(warning) and "viewer" in reply_text(warning)
    await bot.storage.members.set_role(group.id, trader.id, Role.TRADER, trader.display_name)
    await orders.fire(rule.id)  # cancelled for good: promoting back does not revive it
    assert await bot.sim_positions() == []


async def test_firing_twice_places_one_order(bot: BotHarness) -> None:
    posted: list[tuple[ChatRef, Reply]] = []
    orders = wire_orders(bot, posted)
    await bot.say("/alert EURUSD above 5 then buy 0.1")
    (rule,) = bot.services.alerts.engine.rules_for_chat(bot.private_chat.id)
    orders.rule_fired(rule.id)
    orders.rule_fired(rule.id)
    await orders.settle()
    assert len(await bot.sim_positions()) == 1
    assert "Alert #" in reply_text(posted[0][1]) and "[via alert" not in reply_text(posted[0][1])
    rows = await bot.storage.db.fetch_all("SELECT command FROM audit_log WHERE command LIKE '%[via alert #%'")
    assert len(rows) == 1


async def test_a_trader_demoted_before_it_fires_has_the_alert_and_its_order_cancelled(bot: BotHarness) -> None:
    posted: list[tuple[ChatRef, Reply]] = []
    orders = wire_orders(bot, posted)
    trader = bot.user("trader")
    group = await bot.group_chat("desk", members={trader: Role.TRADER})
    await bot.say("/alert EURUSD above 5 then buy 0.1", user=trader, chat=group)
    await bot.say("/alert EURUSD above 6", user=trader, chat=group)  # a plain alert stays
    assert await orders.sweep() == 0
    await bot.storage.members.set_role(group.id, trader.id, Role.VIEWER, trader.display_name)
    assert await orders.sweep() == 1
    assert await orders.sweep() == 0
    assert [rule.id for rule in bot.services.alerts.engine.rules_for_chat(group.id)] == [2]
    (where, notice) = posted[-1]
    assert where.id == group.id and "Alert #1 cancelled" in reply_text(notice) and "viewer" in reply_text(notice)
    await orders.fire(1)
    assert await bot.sim_positions() == []


class CountingStore(AlertOrderStore):
    """The store, counting the look-ups of fired rules and the claims; `fail_lookup` makes the look-up fail."""

    def __init__(self, store: AlertOrderStore, *, fail_lookup: bool = False) -> None:
        super().__init__(store._db, store._clock)
        self.lookups: list[list[int]] = []
        self.claims: list[int] = []
        self.fail_lookup = fail_lookup

    async def pending_among(self, rule_ids: Sequence[int]) -> list[int]:
        self.lookups.append(list(rule_ids))
        if self.fail_lookup:
            raise OSError("database is locked")
        return await super().pending_among(rule_ids)

    async def claim(self, rule_id: int) -> tuple[AlertOrder, list[AlertOrder]] | None:
        self.claims.append(rule_id)
        return await super().claim(rule_id)


async def _burst_with_one_order(bot: BotHarness, orders: AlertOrders) -> tuple[list[int], int]:
    """Six plain alerts and one with an order, all told fired at once (as a written burst tells them)."""
    for level in ("5", "6", "7"):
        assert "set" in reply_text(await bot.say(f"/alert EURUSD above {level}"))
    made = reply_text(await bot.say("/alert EURUSD above 8 then buy 0.1"))
    assert "Alert with order set" in made, made
    for level in ("5.5", "6.5", "7.5"):
        assert "set" in reply_text(await bot.say(f"/alert EURUSD above {level}"))
    rule_ids = [rule.id for rule in bot.services.alerts.engine.rules_for_chat(bot.private_chat.id)]
    with_order = [rule_id for rule_id in rule_ids if rule_id in await orders.pending_in_chat(bot.private_chat.id)]
    assert len(rule_ids) == 7 and len(with_order) == 1
    for rule_id in rule_ids:
        orders.rule_fired(rule_id)
    orders.rule_fired(with_order[0])  # told twice (a replayed firing): still one order
    await orders.settle()
    return rule_ids, with_order[0]


async def test_a_burst_of_firings_is_looked_up_in_one_read_and_only_rules_with_an_order_are_claimed(
        bot: BotHarness) -> None:
    posted: list[tuple[ChatRef, Reply]] = []
    orders = wire_orders(bot, posted)
    store = orders._store = CountingStore(orders._store)
    rule_ids, with_order = await _burst_with_one_order(bot, orders)
    assert store.lookups == [[*rule_ids, with_order]]  # one read for the burst, no transaction per plain alert
    assert store.claims == [with_order]
    assert len(await bot.sim_positions()) == 1
    assert await store.pending_among(rule_ids) == []  # claimed: a later firing looks it up and finds nothing


async def test_when_the_look_up_fails_each_fired_rule_is_claimed_and_the_order_still_runs_once(bot: BotHarness) -> None:
    posted: list[tuple[ChatRef, Reply]] = []
    orders = wire_orders(bot, posted)
    store = orders._store = CountingStore(orders._store, fail_lookup=True)
    rule_ids, with_order = await _burst_with_one_order(bot, orders)
    assert len(store.lookups) == 1 and sorted(store.claims) == sorted([*rule_ids, with_order])
    assert len(await bot.sim_positions()) == 1


async def test_a_price_crossing_the_alert_as_soon_as_it_is_watched_still_places_its_order(
        bot: BotHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    """The order is stored with its rule, before the engine judges it: a quote firing the alert the moment it is
    watched (the stream does not wait for the command to finish) finds the order and places it, instead of leaving
    it pending until a restart."""
    posted: list[tuple[ChatRef, Reply]] = []
    orders = wire_orders(bot, posted)
    alerts = bot.services.alerts
    alerts.on_rule_fired = orders.rule_fired  # as the app wires it
    assert "set" in reply_text(await bot.say("/alert EURUSD above 5"))  # a plain alert: the account quoted
    (plain,) = alerts.engine.rules_for_chat(bot.private_chat.id)

    async def cross() -> None:
        """The stream's part: EURUSD quoted low, then above 5.1, each quote judged and its firings written."""
        for bid in (1.0, 5.2):
            await alerts.deliver(alerts.engine.on_quote(plain.account_id, "EURUSD", bid, bid + 0.0002,
                                                        bot.clock.now()))

    announced = alerts.changed

    async def changed_then_crossed(rule_id: int) -> None:
        await announced(rule_id)  # the new rule is watched: the next quote judges it
        await cross()
        # the firing's order is looked up before /alert goes on (it runs once the command is done with the chat)
        await eventually(lambda: orders._looking is None, "the fired alert's order looked up")

    monkeypatch.setattr(alerts, "changed", changed_then_crossed)
    made = reply_text(await bot.say("/alert EURUSD above 5.1 then buy 0.1"))
    assert "Alert with order set" in made, made
    monkeypatch.undo()
    await orders.settle()
    assert len(await bot.sim_positions()) == 1
    assert await orders.pending_in_chat(bot.private_chat.id) == {}
