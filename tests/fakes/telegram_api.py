"""A fake Telegram Bot API: answers the methods fxbot uses, records every call, serves in-process or on loopback.

In-process (the real PTB Application above a fake transport):

    api = FakeBotApi()
    request = FakeBotRequest(api)          # tests.fakes.telegram_transports: a telegram.request.BaseRequest
    ApplicationBuilder().token(FakeBotApi.TOKEN).request(request).get_updates_request(request)
    # or, through the app: runtime.extras["telegram_request"] = request

Over HTTP (what `telegram.base_url` of a subprocess can reach):

    async with serve_bot_api(api) as base_url:   # (telegram_transports) "http://127.0.0.1:<port>/bot"
        ...

Driving it:

    alice = api.user(101, "Alice", username="alice")
    msg = api.send_text(api.private_chat(alice), alice, "/start")      # queued for getUpdates
    call = await api.wait_for("sendMessage", lambda c: c.chat_id == 101)
    card = api.last_message(101)                       # the bot's message (with its inline keyboard)
    api.press(alice, card, "Confirm")                  # a callback query on the button labelled Confirm*
    api.fail("sendMessage", retry_after(3), chat_id=101)   # the next matching call answers 429
    api.set_admins(-100, [bob]); api.can_delete[-100] = False

Every call is recorded in `api.calls` (method, params as form strings, uploaded files): `Call`, and the error
answers (`retry_after`, `forbidden`, `migrated`, `bad_request`), are in tests.fakes.telegram_calls; answering a call,
one route per Bot API method, in tests.fakes.telegram_routes.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable

from tests.fakes.telegram_calls import BOT_ID, JSON, ApiError, ArmedFailure, Call
from tests.fakes.telegram_routes import BotApiRoutes


class FakeBotApi(BotApiRoutes):
    """The fake a test drives: its state (updates to hand out, chats, the bot's messages, admins, armed failures),
    building updates and inspecting calls; BotApiRoutes answers the calls."""

    TOKEN = f"{BOT_ID}:AAFakeTokenForTestsOnly_abcdefghijkl"
    BOT_USERNAME = "fxbot_test_bot"

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.updates: list[JSON] = []
        self.messages: dict[tuple[int, int], JSON] = {}  # the bot's own messages
        self.admins: dict[int, list[JSON]] = {}
        self.can_delete: dict[int, bool] = {}
        self.deleted: list[tuple[int, int]] = []
        self._failures: list[ArmedFailure] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._query_ids = itertools.count(1)
        self._changed = asyncio.Event()
        self._new_update = asyncio.Event()

    # -- building updates ----------------------------------------------------------------------

    @staticmethod
    def user(user_id: int, first_name: str, *, username: str | None = None) -> JSON:
        user: JSON = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username:
            user["username"] = username
        return user

    @staticmethod
    def private_chat(user: JSON) -> JSON:
        chat: JSON = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        if "username" in user:
            chat["username"] = user["username"]
        return chat

    @staticmethod
    def group(chat_id: int, title: str, *, forum: bool = False, kind: str = "supergroup") -> JSON:
        chat: JSON = {"id": chat_id, "type": kind, "title": title}
        if forum:
            chat["is_forum"] = True
        return chat

    def push(self, update: JSON) -> JSON:
        """Queue an update for getUpdates (an update_id is assigned)."""
        update = {"update_id": next(self._update_ids), **update}
        self.updates.append(update)
        self._new_update.set()
        return update

    def send_text(self, chat: JSON, user: JSON, text: str, *, thread_id: int | None = None,
                  edited: bool = False) -> JSON:
        """A person writes `text` in `chat` (optionally in forum topic `thread_id`); returns the message."""
        message: JSON = {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat,
                         "from": user, "text": text}
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
        self.push({"edited_message" if edited else "message": message})
        return message

    def migrate_service_message(self, old_chat: JSON, new_chat_id: int) -> None:
        self.push({"message": {"message_id": next(self._message_ids), "date": int(time.time()), "chat": old_chat,
                               "migrate_to_chat_id": new_chat_id}})

    def press(self, user: JSON, message: JSON, label: str) -> JSON:
        """`user` presses the button of the bot's `message` whose label is or starts with `label`."""
        buttons = [b for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]
        matches = [b for b in buttons if b["text"] == label] or [b for b in buttons if b["text"].startswith(label)]
        if not matches:
            raise AssertionError(f"no button {label!r}; buttons: {[b['text'] for b in buttons]}")
        return self.press_data(user, message, matches[0]["callback_data"])

    def press_data(self, user: JSON, message: JSON, data: str) -> JSON:
        query = {"id": str(next(self._query_ids)), "from": user, "chat_instance": "ci", "message": message,
                 "data": data}
        self.push({"callback_query": query})
        return query

    def set_admins(self, chat_id: int, users: list[JSON]) -> None:
        self.admins[chat_id] = users

    def fail(self, method: str, error: ApiError, *, chat_id: int | None = None, times: int = 1) -> None:
        """The next `times` calls of `method` (to `chat_id`, if given) answer `error`."""
        self._failures.append(ArmedFailure(method, error, chat_id, times))

    def clear_failures(self) -> None:
        """Forget every failure armed with fail() and not used up yet."""
        self._failures.clear()

    # -- inspecting ------------------------------------------------------------------------------

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.status == 200]

    def sent(self, chat_id: int | None = None) -> list[Call]:
        """Successful sendMessage/sendPhoto calls (to one chat when given)."""
        return [c for c in self.calls if c.method in ("sendMessage", "sendPhoto") and c.status == 200
                and (chat_id is None or c.chat_id == chat_id)]

    def last_message(self, chat_id: int) -> JSON:
        mine = [m for (c, _), m in self.messages.items() if c == chat_id]
        if not mine:
            raise AssertionError(f"the bot sent nothing to {chat_id}")
        return mine[-1]

    def menus(self) -> dict[str, list[JSON]]:
        """The latest setMyCommands list per scope type."""
        result: dict[str, list[JSON]] = {}
        for call in self.calls_of("setMyCommands"):
            scope = (call.json("scope") or {"type": "default"})["type"]
            result[scope] = call.json("commands")
        return result

    async def wait_for(self, method: str, predicate: Callable[[Call], bool] | None = None, *,
                       count: int = 1, within_s: float = 30.0) -> Call:
        """Wait until `count` successful calls of `method` match; returns the last of them (`within_s` only
        bounds a hang)."""
        async with asyncio.timeout(within_s):
            while True:
                found = [c for c in self.calls_of(method) if predicate is None or predicate(c)]
                if len(found) >= count:
                    return found[count - 1]
                self._changed.clear()
                await self._changed.wait()

    async def settle(self, quiet_s: float = 0.3) -> None:
        """Wait until no call other than a bot's `getUpdates` polling arrived for `quiet_s` seconds (only for
        asserting that nothing more is sent: never to wait for a call that must come; use `wait_for` for that).
        A polling bot calls getUpdates about every MAX_POLL_WAIT_S (telegram_routes), which would keep a window of
        that length from ever being quiet."""
        while True:
            seen = self._calls_but_polling()
            await asyncio.sleep(quiet_s)
            if self._calls_but_polling() == seen:
                return

    def _calls_but_polling(self) -> int:
        return sum(1 for call in self.calls if call.method != "getUpdates")

