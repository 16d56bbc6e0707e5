"""e2e: the assembled app with the Telegram adapter on a fake Bot API and the running simulator."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from fxbot.chat.types import ChatKind, ChatRef, Reply
from fxbot.notify.errors import DeliveryForbidden
from fxbot.simulator.runner import RunningSimulator
from tests.fakes.telegram_api import FakeBotApi
from tests.fakes.telegram_calls import forbidden, migrated
from tests.integration.telegram.harness import TelegramRun, telegram_app

GROUP_ID = -1001234


@pytest.fixture
async def tg(sim_paused: RunningSimulator, tmp_path: Path) -> AsyncIterator[TelegramRun]:
    async with telegram_app(sim_paused, tmp_path) as run:
        yield run


async def _positions(sim: RunningSimulator, scope: str = "trade") -> list[dict[str, object]]:
    async with httpx.AsyncClient() as http:
        answer = await http.get(f"{sim.base_url}/v1/positions", headers={"Authorization": f"Bearer {sim.keys[scope]}"})
    result: list[dict[str, object]] = answer.json()
    return result


async def _team(tg: TelegramRun, sim: RunningSimulator) -> tuple[dict[str, object], ...]:
    """Owner (a Telegram group admin) binds the trade key to the group; alice becomes trader, bob stays viewer."""
    api = tg.api
    owner = api.user(100, "Olga", username="olga")
    alice = api.user(101, "Alice", username="alice")
    bob = api.user(102, "Bob", username="bob")
    group = api.group(GROUP_ID, "desk")
    api.set_admins(GROUP_ID, [owner])
    await tg.say(owner, f"/link {sim.keys['trade']} main trade", expect=lambda c: "linked key" in c.text)
    await tg.say(owner, "/bind main", chat=group, expect=lambda c: "now uses key" in c.text)
    await tg.say(alice, "/help", chat=group, expect=lambda c: "Commands" in c.text)
    await tg.say(owner, "/role @alice trader", chat=group, expect=lambda c: "trader" in c.text)
    return owner, alice, bob, group


async def test_link_buy_confirm_places_one_order_and_replies_with_the_fill(
    tg: TelegramRun, sim_paused: RunningSimulator
) -> None:
    api = tg.api
    alice = api.user(101, "Alice", username="alice")
    linked = await tg.say(alice, f"/link {sim_paused.keys['trade']}")
    assert "linked key" in linked.text and linked.params["parse_mode"] == "HTML"
    assert sim_paused.keys["trade"] not in linked.text
    card = await tg.say(alice, "/buy EURUSD 2")
    labels = [b["text"] for b in card.buttons()]
    assert labels == ["Confirm BUY", "Cancel"], card.text
    assert all(len(b["callback_data"].encode()) <= 64 for b in card.buttons())
    assert await _positions(sim_paused) == []

    before = len(api.sent(101))
    await tg.press(alice, "Confirm")
    fill = await api.wait_for("sendMessage", lambda c: c.chat_id == 101, count=before + 1)
    assert "filled" in fill.text, fill.text
    answered = await api.wait_for("answerCallbackQuery")
    assert answered.params.get("show_alert") in (None, "false")
    removed = await api.wait_for("editMessageReplyMarkup")
    assert removed.chat_id == 101 and "reply_markup" not in removed.params
    positions = await _positions(sim_paused)
    assert len(positions) == 1 and positions[0]["symbol"] == "EURUSD"


async def test_a_read_only_key_is_refused_trading(tg: TelegramRun, sim_paused: RunningSimulator) -> None:
    alice = tg.api.user(101, "Alice")
    await tg.say(alice, f"/link {sim_paused.keys['read-only']} ro read-only", expect=lambda c: "linked" in c.text)
    refused = await tg.say(alice, "/buy EURUSD 0.1")
    assert "read-only" in refused.text
    assert await _positions(sim_paused, "read-only") == []


async def test_a_viewer_is_refused_in_a_group_and_the_reply_quotes_them(
    tg: TelegramRun, sim_paused: RunningSimulator
) -> None:
    _, _, bob, group = await _team(tg, sim_paused)
    message = tg.api.send_text(group, bob, "/buy EURUSD 0.1")
    refused = await tg.api.wait_for("sendMessage", lambda c: c.chat_id == GROUP_ID and "buy" in c.text.lower())
    assert "viewer" in refused.text or "trader" in refused.text, refused.text
    assert refused.json("reply_parameters")["message_id"] == message["message_id"]
    assert await _positions(sim_paused) == []


async def test_a_key_pasted_in_a_group_is_deleted(tg: TelegramRun, sim_paused: RunningSimulator) -> None:
    api = tg.api
    bob = api.user(102, "Bob")
    group = api.group(GROUP_ID, "desk")
    message = api.send_text(group, bob, f"here is mine {sim_paused.keys['trade']}")
    warning = await api.wait_for("sendMessage", lambda c: c.chat_id == GROUP_ID)
    assert "never paste keys" in warning.text
    assert (GROUP_ID, message["message_id"]) in api.deleted
    assert sim_paused.keys["trade"] not in warning.text


async def test_a_key_the_bot_cannot_delete_is_reported(tg: TelegramRun, sim_paused: RunningSimulator) -> None:
    api = tg.api
    api.can_delete[GROUP_ID] = False
    bob = api.user(102, "Bob")
    api.send_text(api.group(GROUP_ID, "desk"), bob, f"/link {sim_paused.keys['trade']}")
    warning = await api.wait_for("sendMessage", lambda c: c.chat_id == GROUP_ID)
    assert "could not delete" in warning.text and api.deleted == []


async def test_hostile_text_is_escaped(tg: TelegramRun, sim_paused: RunningSimulator) -> None:
    alice = tg.api.user(101, "<i>Al</i>")
    answer = await tg.say(alice, f"/link {sim_paused.keys['trade']} <b>x</b>&")
    assert "<b>x</b>" not in answer.text
    assert html.escape("<b>x</b>&") in answer.text, answer.text
    await tg.say(alice, "/unknown_<b>", expect=lambda c: "unknown" in c.text or "not a command" in c.text)
    assert all("<b>x" not in c.text for c in tg.api.sent())


async def test_a_press_by_another_person_gets_an_alert_and_sends_nothing(
    tg: TelegramRun, sim_paused: RunningSimulator
) -> None:
    api = tg.api
    _, alice, bob, group = await _team(tg, sim_paused)
    card = await tg.say(alice, "/buy EURUSD 0.01", chat=group, expect=lambda c: bool(c.buttons()))
    assert card.buttons()
    sent_before = len(api.sent(GROUP_ID))
    await tg.press(bob, "Confirm", chat_id=GROUP_ID)
    toast = await api.wait_for("answerCallbackQuery")
    assert toast.params["show_alert"] == "true" and "only" in toast.params["text"]
    await api.settle()
    assert len(api.sent(GROUP_ID)) == sent_before
    assert api.calls_of("editMessageReplyMarkup") == []
    assert await _positions(sim_paused) == []


async def test_a_chat_that_blocked_the_bot_is_reported_as_forbidden(tg: TelegramRun) -> None:
    # The adapter translates each refusal; the notifier remembers the chat (tests/e2e/test_blocked_chat_returns.py).
    api = tg.api
    chat = ChatRef(id="telegram:555", kind=ChatKind.PRIVATE, platform="telegram")
    api.fail("sendMessage", forbidden(), chat_id=555)
    with pytest.raises(DeliveryForbidden):
        await tg.adapter.send(chat, Reply(text=("price alert",)))
    # the person writes again: the bot may answer
    api.send_text(api.private_chat(api.user(555, "Back")), api.user(555, "Back"), "/help")
    await api.wait_for("sendMessage", lambda c: c.chat_id == 555)


async def test_a_migrated_group_moves_its_binding_and_replies_at_the_new_id(
    tg: TelegramRun, sim_paused: RunningSimulator
) -> None:
    api = tg.api
    owner, _, _, group = await _team(tg, sim_paused)
    new_id = -1009999
    api.fail("sendMessage", migrated(new_id), chat_id=GROUP_ID)
    api.send_text(group, owner, "/account")
    answer = await api.wait_for("sendMessage", lambda c: c.chat_id == new_id)
    assert "EUR" in answer.text or "USD" in answer.text or "balance" in answer.text.lower(), answer.text
    assert await tg.app.storage.bindings.get(f"telegram:{new_id}") is not None
    assert await tg.app.storage.bindings.get(f"telegram:{GROUP_ID}") is None


async def test_the_command_menu_is_registered_per_scope(tg: TelegramRun) -> None:
    menus = tg.api.menus()
    private = {c["command"] for c in menus["all_private_chats"]}
    group = {c["command"] for c in menus["all_group_chats"]}
    admins = {c["command"] for c in menus["all_chat_administrators"]}
    assert {"link", "buy", "help", "bind"} <= private
    assert "link" not in group and "link" not in admins  # keys are linked in private chats only
    assert "bind" in admins and "bind" not in group
    assert "buy" in group and group <= admins
    assert menus["default"] == menus["all_private_chats"]
    every = [c for scope in menus.values() for c in scope]
    assert all(1 <= len(c["description"]) <= 256 and len(c["command"]) <= 32 for c in every)


async def test_a_command_for_another_bot_is_ignored_and_ours_with_mention_runs(tg: TelegramRun) -> None:
    api = tg.api
    bob = api.user(102, "Bob")
    group = api.group(GROUP_ID, "desk")
    api.send_text(group, bob, "/help@someotherbot")
    await tg.say(bob, f"/help@{FakeBotApi.BOT_USERNAME}", chat=group, expect=lambda c: "Commands" in c.text)
    assert len(api.sent(GROUP_ID)) == 1


async def test_replies_in_a_forum_topic_go_to_that_topic(tg: TelegramRun) -> None:
    api = tg.api
    bob = api.user(102, "Bob")
    forum = api.group(GROUP_ID, "desk", forum=True)
    answer = await tg.say(bob, "/help", chat=forum, thread_id=42)
    assert answer.thread_id == 42


async def test_an_alert_set_in_a_forum_topic_notifies_that_topic(
    tg: TelegramRun, sim_paused: RunningSimulator
) -> None:
    api = tg.api
    owner = api.user(100, "Olga", username="olga")
    forum = api.group(GROUP_ID, "desk", forum=True)
    api.set_admins(GROUP_ID, [owner])
    await tg.say(owner, f"/link {sim_paused.keys['trade']} main trade", expect=lambda c: "linked key" in c.text)
    await tg.say(owner, "/bind main", chat=forum, thread_id=7, expect=lambda c: "now uses key" in c.text)
    await tg.say(owner, "/alert EURUSD above 1.0", chat=forum, thread_id=42, expect=lambda c: "Alert #" in c.text)
    fired = await api.wait_for("sendMessage", lambda c: "EURUSD is above" in c.text)
    assert fired.chat_id == GROUP_ID
    assert fired.thread_id == 42  # the topic the alert was set in, not the general chat or topic 7
