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

Every call is recorded in `api.calls` (method, params as form strings, uploaded files).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]
BOT_ID = 777000111
MAX_POLL_WAIT_S = 1.0


@dataclass(frozen=True)
class ApiError:
    """An error answer: HTTP status, description and Bot API `parameters`."""

    status: int
    description: str
    parameters: JSON | None = None


def retry_after(seconds: int) -> ApiError:
    return ApiError(429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds})


def forbidden(description: str = "Forbidden: bot was blocked by the user") -> ApiError:
    return ApiError(403, description)


def migrated(new_chat_id: int) -> ApiError:
    return ApiError(400, "Bad Request: group chat was upgraded to a supergroup chat",
                    {"migrate_to_chat_id": new_chat_id})


def bad_request(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


@dataclass
class Call:
    """One Bot API call as received: form-encoded parameters (JSON strings for objects) and files."""

    method: str
    params: dict[str, str]
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    status: int = 200

    def json(self, name: str) -> Any:
        raw = self.params.get(name)
        return None if raw is None else json.loads(raw)

    @property
    def chat_id(self) -> int | None:
        raw = self.params.get("chat_id")
        return None if raw is None else int(raw)

    @property
    def text(self) -> str:
        return self.params.get("text") or self.params.get("caption") or ""

    @property
    def thread_id(self) -> int | None:
        raw = self.params.get("message_thread_id")
        return None if raw is None else int(raw)

    def buttons(self) -> list[JSON]:
        markup = self.json("reply_markup") or {}
        return [b for row in markup.get("inline_keyboard", []) for b in row]


@dataclass
class _Failure:
    method: str
    error: ApiError
    chat_id: int | None
    times: int


class FakeBotApi:
    """The state behind the fake: updates to hand out, chats, the bot's messages, admins, failures."""

    TOKEN = f"{BOT_ID}:AAFakeTokenForTestsOnly_abcdefghijkl"
    BOT_USERNAME = "fxbot_test_bot"

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.updates: list[JSON] = []
        self.messages: dict[tuple[int, int], JSON] = {}  # the bot's own messages
        self.admins: dict[int, list[JSON]] = {}
        self.can_delete: dict[int, bool] = {}
        self.deleted: list[tuple[int, int]] = []
        self._failures: list[_Failure] = []
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
        self._failures.append(_Failure(method, error, chat_id, times))

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
        A polling bot calls getUpdates about every MAX_POLL_WAIT_S, which would keep a window of that length from
        ever being quiet."""
        while True:
            seen = self._calls_but_polling()
            await asyncio.sleep(quiet_s)
            if self._calls_but_polling() == seen:
                return

    def _calls_but_polling(self) -> int:
        return sum(1 for call in self.calls if call.method != "getUpdates")

    # -- answering -------------------------------------------------------------------------------

    async def handle(
        self, method: str, params: dict[str, str], files: dict[str, tuple[str, bytes]]
    ) -> tuple[int, JSON]:
        call = Call(method, params, files)
        self.calls.append(call)
        try:
            status, body = await self._answer(call)
        finally:
            self._changed.set()
        call.status = status
        return status, body

    async def _answer(self, call: Call) -> tuple[int, JSON]:
        failure = self._take_failure(call)
        if failure is not None:
            body: JSON = {"ok": False, "error_code": failure.status, "description": failure.description}
            if failure.parameters:
                body["parameters"] = failure.parameters
            return failure.status, body
        handler = getattr(self, "_m_" + call.method, None)
        if handler is None:
            return 400, {"ok": False, "error_code": 400, "description": f"Bad Request: fake has no {call.method}"}
        result = await handler(call)
        if isinstance(result, ApiError):
            return result.status, {"ok": False, "error_code": result.status, "description": result.description}
        return 200, {"ok": True, "result": result}

    def _take_failure(self, call: Call) -> ApiError | None:
        for failure in self._failures:
            if failure.method == call.method and (failure.chat_id is None or failure.chat_id == call.chat_id):
                failure.times -= 1
                if failure.times <= 0:
                    self._failures.remove(failure)
                return failure.error
        return None

    async def _m_getMe(self, call: Call) -> JSON:
        return {"id": BOT_ID, "is_bot": True, "first_name": "fxbot", "username": self.BOT_USERNAME,
                "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}

    async def _m_deleteWebhook(self, call: Call) -> bool:
        if call.params.get("drop_pending_updates") == "true":
            self.updates.clear()
        return True

    async def _m_setWebhook(self, call: Call) -> bool:
        if call.params.get("drop_pending_updates") == "true":
            self.updates.clear()
        return True

    async def _m_getUpdates(self, call: Call) -> list[JSON]:
        offset = int(call.params.get("offset", "0"))
        if offset:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        wait = min(float(call.params.get("timeout", "0")), MAX_POLL_WAIT_S)
        if not self.updates and wait > 0:
            self._new_update.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._new_update.wait()
        return list(self.updates[:100])

    def _bot_message(self, call: Call, extra: JSON) -> JSON:
        chat_id = call.chat_id or 0
        chat = {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"}
        message: JSON = {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat,
                         "from": {"id": BOT_ID, "is_bot": True, "first_name": "fxbot"}, **extra}
        markup = call.json("reply_markup")
        if markup:
            message["reply_markup"] = markup
        if call.thread_id is not None:
            message["message_thread_id"] = call.thread_id
            message["is_topic_message"] = True
        self.messages[(chat_id, message["message_id"])] = message
        return message

    async def _m_sendMessage(self, call: Call) -> JSON:
        return self._bot_message(call, {"text": call.params.get("text", "")})

    async def _m_sendPhoto(self, call: Call) -> JSON:
        photo = {"file_id": "photo1", "file_unique_id": "u1", "width": 800, "height": 600}
        extra: JSON = {"photo": [photo]}
        if "caption" in call.params:
            extra["caption"] = call.params["caption"]
        return self._bot_message(call, extra)

    async def _m_sendDocument(self, call: Call) -> JSON:
        extra: JSON = {"document": {"file_id": "doc1", "file_unique_id": "d1"}}
        if "caption" in call.params:
            extra["caption"] = call.params["caption"]
        return self._bot_message(call, extra)

    def _edited(self, call: Call) -> JSON | bool:
        key = (call.chat_id or 0, int(call.params.get("message_id", "0")))
        message = self.messages.get(key)
        if message is None:
            return True
        markup = call.json("reply_markup")
        if markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        if "text" in call.params:
            message["text"] = call.params["text"]
        return message

    async def _m_editMessageText(self, call: Call) -> JSON | bool:
        return self._edited(call)

    async def _m_editMessageReplyMarkup(self, call: Call) -> JSON | bool:
        return self._edited(call)

    async def _m_answerCallbackQuery(self, call: Call) -> bool:
        return True

    async def _m_setMyCommands(self, call: Call) -> bool:
        return True

    async def _m_deleteMessage(self, call: Call) -> bool | ApiError:
        chat_id = call.chat_id or 0
        if not self.can_delete.get(chat_id, True):
            return bad_request("message can't be deleted")
        self.deleted.append((chat_id, int(call.params["message_id"])))
        return True

    async def _m_getChatAdministrators(self, call: Call) -> list[JSON]:
        return [_admin_member(u) for u in self.admins.get(call.chat_id or 0, [])]

    async def _m_getChatMember(self, call: Call) -> JSON:
        user_id = int(call.params["user_id"])
        for user in self.admins.get(call.chat_id or 0, []):
            if user["id"] == user_id:
                return _admin_member(user)
        return {"status": "member", "user": {"id": user_id, "is_bot": False, "first_name": str(user_id)}}


def _admin_member(user: JSON) -> JSON:
    rights = ("can_be_edited", "is_anonymous", "can_manage_chat", "can_delete_messages", "can_manage_video_chats",
              "can_restrict_members", "can_promote_members", "can_change_info", "can_invite_users",
              "can_post_stories", "can_edit_stories", "can_delete_stories")
    return {"status": "administrator", "user": user, **{r: r != "is_anonymous" for r in rights}}
