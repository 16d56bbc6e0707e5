"""Outbound Telegram messages: paced per chat, RetryAfter honoured, Forbidden and ChatMigrated translated."""

from __future__ import annotations

import datetime as dt
import logging
import warnings
from collections.abc import Awaitable, Callable

from telegram import Bot, LinkPreviewOptions, Message, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import ChatMigrated, Forbidden, RetryAfter
from telegram.warnings import PTBDeprecationWarning

from fxbot.adapters.telegram.buttons import ButtonBook
from fxbot.adapters.telegram.pacing_gate import PacingGate
from fxbot.adapters.telegram.render import PhotoMessage, RenderedMessage, render_reply
from fxbot.adapters.telegram.updates import qualified, telegram_id
from fxbot.chat.types import ChatKind, ChatRef, Reply
from fxbot.notify.errors import DeliveryForbidden, DeliveryRetryAfter

log = logging.getLogger(__name__)

MAX_RETRY_AFTER = 5  # RetryAfter answers tolerated for one message before giving up
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)

MigrationHook = Callable[[str, str], Awaitable[None]]


def retry_seconds(error: RetryAfter) -> float:
    """RetryAfter's wait in seconds (int or timedelta depending on PTB_TIMEDELTA), without the warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


class TelegramSender:
    """Sends rendered replies to a chat. Raises DeliveryRetryAfter (first message only: nothing was sent
    yet, so a retry duplicates nothing) and DeliveryForbidden; a later message of a split reply waits out
    RetryAfter itself. A migrated group is followed to its new id, once reported to the core.

    Which chats refuse the bot is the notifier's to remember (fxbot.notify.blocked): every send here
    is tried, and each Forbidden answer is translated."""

    def __init__(self, gate: PacingGate, buttons: ButtonBook, on_migrated: MigrationHook) -> None:
        self._gate = gate
        self._buttons = buttons
        self._on_migrated = on_migrated
        self._moved: dict[str, str] = {}
        self.bot: Bot | None = None

    def current_id(self, chat_id: str) -> str:
        seen: set[str] = set()
        while chat_id in self._moved and chat_id not in seen:
            seen.add(chat_id)
            chat_id = self._moved[chat_id]
        return chat_id

    async def migrate(self, old_chat_id: str, new_chat_id: str) -> None:
        """Follow a group that became a supergroup, and tell the core once."""
        if self._moved.get(old_chat_id) == new_chat_id or old_chat_id == new_chat_id:
            return
        self._moved[old_chat_id] = new_chat_id
        self._buttons.move_chat(old_chat_id, new_chat_id)
        log.info("telegram: chat %s migrated to %s", old_chat_id, new_chat_id)
        try:
            await self._on_migrated(old_chat_id, new_chat_id)
        except Exception:
            log.exception("telegram: the core could not move chat %s to %s", old_chat_id, new_chat_id)

    async def send_reply(
        self, chat: ChatRef, reply: Reply, *, reply_to: int | None = None
    ) -> list[Message]:
        """Render and send one reply; returns the messages sent (buttons on the last)."""
        sent: list[Message] = []
        for index, rendered in enumerate(render_reply(reply)):
            quote = reply_to if index == 0 else None
            sent.append(await self._send_one(chat, rendered, reply, quote, first=not sent))
        return sent

    async def _send_one(
        self, chat: ChatRef, rendered: RenderedMessage, reply: Reply, reply_to: int | None, *, first: bool
    ) -> Message:
        bot = self._require_bot()
        retries = 0
        while True:
            chat_id = self.current_id(chat.id)
            await self._gate.wait_turn(chat_id, group=chat.kind is ChatKind.GROUP)
            try:
                return await self._call(bot, chat_id, chat.thread_id, rendered, reply, reply_to)
            except RetryAfter as error:
                seconds = retry_seconds(error)
                self._gate.retry_after(chat_id, seconds)
                retries += 1
                if first or retries > MAX_RETRY_AFTER:
                    raise DeliveryRetryAfter(seconds, chat_wide=True) from None
                log.info("telegram: %s asks to wait %.1f s before the next part", chat_id, seconds)
            except ChatMigrated as error:
                await self.migrate(chat_id, qualified(error.new_chat_id))
            except Forbidden as error:
                log.info("telegram: %s refuses messages (%s)", chat_id, error.message)
                raise DeliveryForbidden(f"Telegram: {error.message}") from None

    def _require_bot(self) -> Bot:
        if self.bot is None:
            raise RuntimeError("the Telegram adapter is not started")
        return self.bot

    async def _call(
        self,
        bot: Bot,
        chat_id: str,
        thread_id: str | None,
        rendered: RenderedMessage,
        reply: Reply,
        reply_to: int | None,
    ) -> Message:
        numeric = telegram_id(chat_id)
        markup = self._buttons.keyboard(rendered.buttons, chat_id) if rendered.buttons else None
        thread = int(thread_id) if thread_id else None
        quote = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to is not None else None
        if isinstance(rendered, PhotoMessage) and rendered.as_document:
            return await bot.send_document(
                numeric, rendered.data, caption=rendered.caption_html, parse_mode=ParseMode.HTML,
                reply_markup=markup, message_thread_id=thread, disable_notification=reply.silent,
                reply_parameters=quote, filename=rendered.filename,
            )
        if isinstance(rendered, PhotoMessage):
            return await bot.send_photo(
                numeric, rendered.data, caption=rendered.caption_html, parse_mode=ParseMode.HTML,
                reply_markup=markup, message_thread_id=thread, disable_notification=reply.silent,
                reply_parameters=quote, filename=rendered.filename,
            )
        return await bot.send_message(
            numeric, rendered.html, parse_mode=ParseMode.HTML, reply_markup=markup, message_thread_id=thread,
            disable_notification=reply.silent, reply_parameters=quote, link_preview_options=_NO_PREVIEW,
        )
