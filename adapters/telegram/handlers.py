"""PTB update handlers: messages and button presses to the core, its replies back, failures apologised for."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable, Collection
from typing import Any

from telegram import Bot, Message, Update
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import ContextTypes

from fxbot.adapters.telegram.admins import AdminCache
from fxbot.adapters.telegram.buttons import ButtonBook
from fxbot.adapters.telegram.refusals import RefusalMemory
from fxbot.adapters.telegram.sender import TelegramSender
from fxbot.adapters.telegram.updates import (
    chat_ref,
    chat_user,
    incoming_command,
    message_text,
    qualified,
    should_route,
    thread_of,
)
from fxbot.chat.adapter import CommandHandlerPort
from fxbot.chat.confirmations import NO_LONGER_ACTIVE
from fxbot.chat.types import ButtonPress, ChatKind, ChatRef, ChatUser, Reply, ReplyKind
from fxbot.domain.redaction import looks_like_key, redact_secrets
from fxbot.notify.errors import DeliveryForbidden, DeliveryRetryAfter

log = logging.getLogger(__name__)

NOT_ALLOWED = "this bot is private: you are not on its list of allowed users"
PLAIN_TEXT_HINT = "Commands start with / — /help lists them."
COULD_NOT_DELETE = ("I could not delete that message (I need the 'delete messages' admin right) — "
                    "delete it yourself and revoke that key in FxSocket")
APOLOGY = "sorry, something went wrong handling that — it was logged; nothing else was affected"
TOAST_LIMIT = 200
REPLY_ATTEMPTS = 4

Context = ContextTypes.DEFAULT_TYPE
ReachableHook = Callable[[str], Awaitable[None]]


async def _no_hook(chat_id: str) -> None:
    return None


class UpdateHandlers:
    """Turns updates into IncomingCommand/ButtonPress for the core and sends its replies (paced)."""

    def __init__(
        self,
        handler: CommandHandlerPort,
        sender: TelegramSender,
        buttons: ButtonBook,
        admins: AdminCache,
        *,
        allowed_users: Collection[int],
        admins_are_platform_admins: bool,
        bot_username: Callable[[], str | None],
        on_reachable: ReachableHook = _no_hook,
        refusals: RefusalMemory | None = None,
    ) -> None:
        self._handler = handler
        self._sender = sender
        self._buttons = buttons
        self._admins = admins
        self._allowed = frozenset(allowed_users)
        self._admins_count = admins_are_platform_admins
        self._bot_username = bot_username
        self._on_reachable = on_reachable
        self._refused = refusals if refusals is not None else RefusalMemory()

    # -- messages ---------------------------------------------------------------------------------

    async def on_message(self, update: Update, context: Context) -> None:
        message = update.effective_message
        tg_chat = update.effective_chat
        tg_user = update.effective_user
        if message is None or tg_chat is None or tg_user is None or (tg_user.is_bot and not _anonymous(message)):
            return
        chat = chat_ref(tg_chat, message)
        await self._reachable(chat.id)
        text = message_text(message)
        edited = update.edited_message is not None
        if not should_route(text, private=chat.is_private, edited=edited, bot_username=self._bot_username()):
            return
        if not self._may_use(tg_user.id) and not (not chat.is_private and looks_like_key(text)):
            await self._refuse_once(chat, tg_user.id, message.message_id)
            return
        user = await self._user(context.bot, message, chat)
        replies = await self._handler.handle(incoming_command(message, user, chat))
        if not replies and chat.is_private and not text.lstrip().startswith("/"):
            replies = [Reply(text=(PLAIN_TEXT_HINT,))]
        quote = None if chat.is_private else message.message_id
        for reply in replies:
            if reply.delete_user_message:
                quote = None
                if not await self._delete(context.bot, tg_chat.id, message.message_id):
                    reply = Reply(title=reply.title, text=(*reply.text, COULD_NOT_DELETE), kind=reply.kind)
            await self.reply(chat, reply, quote)

    async def on_migration(self, update: Update, context: Context) -> None:
        message = update.effective_message
        if message is None:
            return
        if message.migrate_to_chat_id:
            await self._sender.migrate(qualified(message.chat.id), qualified(message.migrate_to_chat_id))
        elif message.migrate_from_chat_id:
            await self._sender.migrate(qualified(message.migrate_from_chat_id), qualified(message.chat.id))

    async def on_my_membership(self, update: Update, context: Context) -> None:
        change = update.my_chat_member
        if change is None:
            return
        chat_id = qualified(change.chat.id)
        if change.new_chat_member.status in ("member", "administrator", "creator"):
            await self._reachable(chat_id)
        self._admins.forget(change.chat.id)

    # -- button presses ---------------------------------------------------------------------------

    async def on_callback(self, update: Update, context: Context) -> None:
        query = update.callback_query
        if query is None:
            return
        message = query.message
        if message is None:
            await _answer(context.bot, query.id, NO_LONGER_ACTIVE, alert=False)
            return
        real = message if isinstance(message, Message) else None
        chat = chat_ref(message.chat, real)
        if not self._may_use(query.from_user.id):
            await _answer(context.bot, query.id, NOT_ALLOWED, alert=True)
            return
        action = self._buttons.resolve(query.data, chat.id)
        if action is None:
            await _answer(context.bot, query.id, NO_LONGER_ACTIVE, alert=False)
            await self._remove_keyboard(context.bot, message.chat.id, message.message_id)
            return
        is_admin = await self._is_platform_admin(context.bot, chat, message.chat.id, query.from_user.id)
        user = chat_user(query.from_user, is_platform_admin=is_admin)
        result = await self._handler.press(ButtonPress(user, chat, action, message_id=str(message.message_id)))
        await _answer(context.bot, query.id, (result.toast or "")[:TOAST_LIMIT] or None, alert=result.alert)
        if result.remove_buttons:
            await self._remove_keyboard(context.bot, message.chat.id, message.message_id)
        if result.reply is not None:
            await self.reply(chat, result.reply, None if chat.is_private else message.message_id)

    # -- failures ---------------------------------------------------------------------------------

    async def on_error(self, update: object, context: Context) -> None:
        """Log with context (keys masked) and apologise briefly; never a stack trace in chat."""
        error = context.error
        where = _describe(update)
        trace = "".join(traceback.format_exception(error)) if error is not None else "no exception"
        log.error("telegram: failed to handle %s\n%s", where, redact_secrets(trace))
        if not isinstance(update, Update):
            return
        if update.callback_query is not None:
            await _answer(context.bot, update.callback_query.id, APOLOGY[:TOAST_LIMIT], alert=True)
            return
        message = update.effective_message
        if update.effective_chat is not None and message is not None and not isinstance(error, Forbidden):
            chat = chat_ref(update.effective_chat, message)
            try:
                await self.reply(chat, Reply(text=(APOLOGY,), kind=ReplyKind.ERROR),
                                 None if chat.is_private else message.message_id)
            except Exception as failure:
                log.warning("telegram: could not apologise in %s: %s", chat.id, failure)

    # -- helpers ----------------------------------------------------------------------------------

    async def reply(self, chat: ChatRef, reply: Reply, quote: int | None) -> None:
        """Send a reply to a person; Telegram's "wait" is waited out, a blocked chat is skipped."""
        for attempt in range(REPLY_ATTEMPTS):
            try:
                await self._sender.send_reply(chat, reply, reply_to=quote)
                return
            except DeliveryRetryAfter:
                if attempt == REPLY_ATTEMPTS - 1:
                    log.warning("telegram: gave up replying in %s after repeated flood waits", chat.id)
            except DeliveryForbidden:
                return  # logged once by the sender

    async def _reachable(self, chat_id: str) -> None:
        """Tell the core the chat can be posted to (a message arrived, the bot was re-added)."""
        try:
            await self._on_reachable(chat_id)
        except Exception:
            log.exception("telegram: could not report chat %s as reachable again", chat_id)

    def _may_use(self, user_id: int) -> bool:
        return not self._allowed or user_id in self._allowed

    async def _refuse_once(self, chat: ChatRef, user_id: int, message_id: int) -> None:
        if not self._refused.first_time(user_id):
            return
        await self.reply(chat, Reply(text=(NOT_ALLOWED,), kind=ReplyKind.ERROR),
                         None if chat.is_private else message_id)

    async def _user(self, bot: Bot, message: Message, chat: ChatRef) -> ChatUser:
        if _anonymous(message):  # an anonymous group admin writes as the group itself
            title = message.chat.title or "anonymous admin"
            return ChatUser(id=qualified(message.chat.id), display_name=title, is_platform_admin=self._admins_count)
        assert message.from_user is not None
        is_admin = await self._is_platform_admin(bot, chat, message.chat.id, message.from_user.id)
        return chat_user(message.from_user, is_platform_admin=is_admin)

    async def _is_platform_admin(self, bot: Bot, chat: ChatRef, chat_id: int, user_id: int) -> bool | None:
        if chat.kind is ChatKind.PRIVATE or not self._admins_count:
            return False
        return await self._admins.is_admin(bot, chat_id, user_id)

    async def _delete(self, bot: Bot, chat_id: int, message_id: int) -> bool:
        try:
            return bool(await bot.delete_message(chat_id, message_id))
        except TelegramError as error:
            log.info("telegram: could not delete a message with a key in chat %s: %s", chat_id, error)
            return False

    async def _remove_keyboard(self, bot: Bot, chat_id: int, message_id: int) -> None:
        try:
            await bot.edit_message_reply_markup(chat_id, message_id, reply_markup=None)
        except BadRequest as error:  # already without keyboard, or too old to edit
            log.debug("telegram: keyboard not removed in %s: %s", chat_id, error)
        except TelegramError as error:
            log.info("telegram: keyboard not removed in %s: %s", chat_id, error)


def _anonymous(message: Message) -> bool:
    return message.sender_chat is not None and message.sender_chat.id == message.chat.id


async def _answer(bot: Bot, query_id: str, text: str | None, *, alert: bool) -> None:
    try:
        await bot.answer_callback_query(query_id, text=text, show_alert=alert and bool(text))
    except TelegramError as error:  # too old to answer: nothing left to do
        log.info("telegram: could not answer a button press: %s", error)


def _describe(update: object) -> str:
    if not isinstance(update, Update):
        return f"a non-update event ({type(update).__name__})"
    parts: list[Any] = [f"update {update.update_id}"]
    if update.effective_chat is not None:
        parts.append(f"chat {qualified(update.effective_chat.id)}")
    if update.effective_user is not None:
        parts.append(f"user {qualified(update.effective_user.id)}")
    message = update.effective_message
    if message is not None:
        text = message_text(message)
        head = text.split(maxsplit=1)[0][:40] if text.strip() else ""
        parts.append(f"text starting {redact_secrets(head)!r}" if head else "no text")
        if thread_of(message):
            parts.append(f"topic {thread_of(message)}")
    if update.callback_query is not None:
        parts.append("a button press")
    return ", ".join(str(p) for p in parts)


