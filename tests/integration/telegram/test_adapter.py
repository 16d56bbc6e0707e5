"""The Telegram adapter (real PTB Application) on the in-process fake Bot API, with a scripted core."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from fxbot.adapters.telegram.adapter import TelegramAdapter
from fxbot.adapters.telegram.plugin import TelegramPlugin
from fxbot.adapters.telegram.settings import TelegramSettings
from fxbot.chat.registry import CommandSpec
from fxbot.chat.types import (
    Button,
    ButtonPress,
    ChatKind,
    ChatRef,
    Image,
    IncomingCommand,
    PressResult,
    Reply,
    Table,
)
from fxbot.notify.errors import DeliveryRetryAfter
from fxbot.plugins import AdapterRuntime
from tests.fakes.telegram_api import FakeBotApi
from tests.fakes.telegram_calls import retry_after
from tests.fakes.telegram_transports import FakeBotRequest, serve_bot_api
from tests.integration.telegram.harness import FAST_PACING
from tests.waiting import eventually


@dataclass
class ScriptedCore:
    """A CommandHandlerPort answering with `answer(command)`; records what it was given."""

    answer: Callable[[IncomingCommand], list[Reply]] = lambda c: [Reply(text=(f"echo {c.text}",))]
    seen: list[IncomingCommand] = field(default_factory=list)
    presses: list[ButtonPress] = field(default_factory=list)
    migrations: list[tuple[str, str]] = field(default_factory=list)

    async def handle(self, command: IncomingCommand) -> list[Reply]:
        self.seen.append(command)
        return self.answer(command)

    async def press(self, press: ButtonPress) -> PressResult:
        self.presses.append(press)
        return PressResult(reply=Reply(text=(f"did {press.action}",)), toast="done", remove_buttons=True)

    def commands(self) -> list[CommandSpec[Any]]:
        return []

    async def migrated(self, old: str, new: str) -> None:
        self.migrations.append((old, new))


@contextlib.asynccontextmanager
async def running(api: FakeBotApi, core: ScriptedCore, **settings: Any) -> AsyncIterator[TelegramAdapter]:
    runtime = AdapterRuntime(handler=core, request_shutdown=lambda: None, on_chat_migrated=core.migrated)
    if "base_url" not in settings:
        runtime.extras["telegram_request"] = FakeBotRequest(api)
    runtime.extras["telegram_pacing"] = settings.pop("pacing", FAST_PACING)
    config = TelegramSettings.model_validate({"token": FakeBotApi.TOKEN, "register_commands": False, **settings})
    adapter = TelegramPlugin().create(config, runtime)
    await adapter.start()
    try:
        yield adapter
    finally:
        await adapter.stop()


ALICE = FakeBotApi.user(101, "Alice", username="alice")
PRIVATE = FakeBotApi.private_chat(ALICE)
ALICE_CHAT = ChatRef(id="telegram:101", kind=ChatKind.PRIVATE, platform="telegram")


async def test_long_output_is_split_on_lines_with_balanced_pre_and_buttons_last() -> None:
    rows = tuple((f"pos_{i}", "EURUSD", f"{i * 1.5:.2f}") for i in range(400))
    reply = Reply(title="Positions", text=("all of them",), table=Table(("id", "symbol", "p&l"), rows),
                  buttons=(Button("Close all", "/close all"),))
    api = FakeBotApi()
    async with running(api, ScriptedCore(answer=lambda c: [reply])):
        api.send_text(PRIVATE, ALICE, "/positions")
        await api.wait_for("sendMessage", lambda c: bool(c.buttons()))  # the last part carries the buttons
        await api.settle(0.2)
    parts = api.sent(101)
    assert len(parts) >= 3
    assert all(len(p.text) <= 4096 for p in parts)
    assert all(p.text.count("<pre>") == p.text.count("</pre>") == 1 for p in parts[1:])
    assert all("p&amp;l" in p.text for p in parts)  # the header is repeated and escaped in every part
    assert [bool(p.buttons()) for p in parts] == [False] * (len(parts) - 1) + [True]
    shown = "".join(p.text for p in parts)
    assert all(f"pos_{i} " in shown for i in range(400))


async def test_images_go_as_photos_with_a_short_caption() -> None:
    image = Image(b"\x89PNG fake", "chart.png", caption="EURUSD <H1>")
    api = FakeBotApi()
    async with running(api, ScriptedCore(answer=lambda c: [Reply(title="Chart", image=image)])):
        api.send_text(PRIVATE, ALICE, "/chart EURUSD")
        photo = await api.wait_for("sendPhoto")
    assert photo.params["parse_mode"] == "HTML" and len(photo.text) <= 1024
    assert "<b>Chart</b>" in photo.text
    assert [data for _, data in photo.files.values()] == [b"\x89PNG fake"]


async def test_photos_and_forms_survive_real_http_through_base_url() -> None:
    image = Image(b"\x89PNG over http", "chart.png", caption="a <caption>")
    api = FakeBotApi()
    core = ScriptedCore(answer=lambda c: [Reply(image=image), Reply(text=("x < y & z",))])
    async with serve_bot_api(api) as base_url, running(api, core, base_url=base_url, poll_timeout_s=1):
        api.send_text(PRIVATE, ALICE, "/chart EURUSD")
        text = await api.wait_for("sendMessage", lambda c: c.chat_id == 101)
        photo = await api.wait_for("sendPhoto")
    assert [data for _, data in photo.files.values()] == [b"\x89PNG over http"]
    assert photo.text == "a &lt;caption&gt;"
    assert text.text == "x &lt; y &amp; z"


async def test_retry_after_is_waited_out_for_a_reply() -> None:
    api = FakeBotApi()
    api.fail("sendMessage", retry_after(1), chat_id=101)
    async with running(api, ScriptedCore()):
        started = time.monotonic()
        api.send_text(PRIVATE, ALICE, "/ping")
        answer = await api.wait_for("sendMessage")
    assert answer.text == "echo /ping" and time.monotonic() - started >= 0.9
    assert len([c for c in api.calls if c.method == "sendMessage"]) == 2


async def test_retry_after_before_anything_is_sent_is_the_notifiers_to_handle() -> None:
    api = FakeBotApi()
    async with running(api, ScriptedCore()) as adapter:
        api.fail("sendMessage", retry_after(7), chat_id=101)
        with pytest.raises(DeliveryRetryAfter) as raised:
            await adapter.delivery_target().send(ALICE_CHAT, Reply(text=("alert",)))
    assert raised.value.seconds == 7 and raised.value.chat_wide


async def test_a_later_part_waits_instead_of_resending_the_first() -> None:
    api = FakeBotApi()
    async with running(api, ScriptedCore()) as adapter:
        long_reply = Reply(text=tuple(f"line {i} " + "x" * 90 for i in range(80)))
        original = api._answer
        calls = 0

        async def second_part_limited(call: Any) -> Any:
            nonlocal calls
            if call.method == "sendMessage":
                calls += 1
                if calls == 2:
                    return 429, {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
                                 "parameters": {"retry_after": 1}}
            return await original(call)

        api._answer = second_part_limited  # type: ignore[method-assign]
        message_id = await adapter.send(ALICE_CHAT, long_reply)
    assert message_id is not None
    texts = [c.text for c in api.sent(101)]
    assert len(texts) == 2 and texts[0].startswith("line 0 ")


async def test_commands_sent_while_down_are_not_run_and_the_sender_is_told() -> None:
    api = FakeBotApi()
    api.send_text(PRIVATE, ALICE, "/buy EURUSD 1")
    api.send_text(PRIVATE, ALICE, "/close all")
    core = ScriptedCore()
    async with running(api, core):
        notice = await api.wait_for("sendMessage")
        await api.settle(0.2)
    assert core.seen == []
    assert "offline" in notice.text and "/buy, /close" in notice.text and "not run" in notice.text
    assert len(api.sent(101)) == 1
    assert any(c.params.get("drop_pending_updates") == "true" for c in api.calls_of("deleteWebhook"))


async def test_allowed_users_refuse_others_once() -> None:
    api = FakeBotApi()
    core = ScriptedCore()
    mallory = api.user(666, "Mallory")
    async with running(api, core, allowed_users=[101]):
        api.send_text(api.private_chat(mallory), mallory, "/buy EURUSD 1")
        refusal = await api.wait_for("sendMessage")
        api.send_text(api.private_chat(mallory), mallory, "/buy EURUSD 2")
        api.send_text(PRIVATE, ALICE, "/help")
        await api.wait_for("sendMessage", lambda c: c.chat_id == 101)
        await api.settle(0.2)
    assert "not on its list" in refusal.text
    assert len(api.sent(666)) == 1
    assert [c.user.id for c in core.seen] == ["telegram:101"]


async def test_a_failing_update_gets_an_apology_and_the_adapter_keeps_going(caplog: pytest.LogCaptureFixture) -> None:
    def answer(command: IncomingCommand) -> list[Reply]:
        if "boom" in command.text:
            raise RuntimeError("kaput sk_live_abcdefgh12345678")
        return [Reply(text=("fine",))]

    api = FakeBotApi()
    with caplog.at_level(logging.ERROR):
        async with running(api, ScriptedCore(answer=answer)):
            api.send_text(PRIVATE, ALICE, "/boom")
            apology = await api.wait_for("sendMessage")
            api.send_text(PRIVATE, ALICE, "/next")
            fine = await api.wait_for("sendMessage", lambda c: c.text == "fine")
    assert "something went wrong" in apology.text and "Traceback" not in apology.text
    assert fine.chat_id == 101
    logged = caplog.text
    assert "chat telegram:101" in logged and "kaput" in logged
    assert "abcdefgh12345678" not in logged


async def test_a_stale_button_is_answered_and_its_keyboard_removed() -> None:
    api = FakeBotApi()
    core = ScriptedCore(answer=lambda c: [Reply(text=("card",), buttons=(Button("Go", "/go"),))])
    async with running(api, core):
        api.send_text(PRIVATE, ALICE, "/card")
        await api.wait_for("sendMessage")
        card = api.last_message(101)
        go = card["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        api.press_data(ALICE, card, "b:unknowntoken")
        toast = await api.wait_for("answerCallbackQuery")
        await api.wait_for("editMessageReplyMarkup")
        api.press_data(ALICE, card, go)
        done = await api.wait_for("sendMessage", lambda c: c.text == "did /go")
    assert "no longer active" in toast.params["text"]
    assert [p.action for p in core.presses] == ["/go"]
    assert done.chat_id == 101


async def test_a_group_migration_is_reported_once_and_followed() -> None:
    api = FakeBotApi()
    core = ScriptedCore()
    old = api.group(-500, "desk", kind="group")
    async with running(api, core) as adapter:
        api.migrate_service_message(old, -1005000)
        await eventually(lambda: bool(core.migrations), "the migration to reach the core")
        await adapter.send(ChatRef(id="telegram:-500", kind=ChatKind.GROUP, platform="telegram"),
                           Reply(text=("alert",)))
    assert core.migrations == [("telegram:-500", "telegram:-1005000")]
    assert api.sent(-1005000) and not api.sent(-500)


async def test_webhook_mode_checks_the_secret_and_feeds_updates() -> None:
    api = FakeBotApi()
    async with running(api, ScriptedCore(), webhook_url="https://bot.example.com/telegram",
                       webhook_secret="s3cret-token", webhook_port=0) as adapter:
        assert adapter._webhook is not None
        hook = api.calls_of("setWebhook")[-1]
        assert hook.params["secret_token"] == "s3cret-token" and hook.params["drop_pending_updates"] == "true"
        url = f"http://127.0.0.1:{adapter._webhook.port}/telegram"
        update = {"update_id": 5, "message": {"message_id": 9, "date": 0, "chat": PRIVATE, "from": ALICE,
                                               "text": "/ping"}}
        async with httpx.AsyncClient() as http:
            wrong = await http.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "nope"})
            right = await http.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"})
        answer = await api.wait_for("sendMessage")
    assert wrong.status_code == 403 and right.status_code == 200
    assert answer.text == "echo /ping"
    assert not api.calls_of("getUpdates") or all(c.params.get("timeout") == "0" for c in api.calls_of("getUpdates"))
