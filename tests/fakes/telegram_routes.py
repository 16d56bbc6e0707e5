"""The fake Telegram API's routes: each Bot API method fxbot calls answered over the fake's recorded state."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time

from tests.fakes.telegram_calls import BOT_ID, JSON, ApiError, ArmedFailure, Call, bad_request

MAX_POLL_WAIT_S = 1.0


class BotApiRoutes:
    """Answers a call: an armed failure if one matches, else the method's route (`_m_<method>`); every call is
    recorded in `calls` with the status it was answered."""

    BOT_USERNAME: str
    calls: list[Call]
    updates: list[JSON]
    messages: dict[tuple[int, int], JSON]
    admins: dict[int, list[JSON]]
    can_delete: dict[int, bool]
    deleted: list[tuple[int, int]]
    _failures: list[ArmedFailure]
    _message_ids: itertools.count[int]
    _changed: asyncio.Event
    _new_update: asyncio.Event

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
