"""Telegram updates as chat-port values: chats, people, commands and button presses (no decisions)."""

from __future__ import annotations

from datetime import UTC, datetime

from telegram import Chat, Message, User
from telegram.constants import ChatType

from fxbot.chat.types import ChatKind, ChatRef, ChatUser, IncomingCommand
from fxbot.domain.redaction import looks_like_key

PLATFORM = "telegram"
PREFIX = PLATFORM + ":"
ALLOWED_UPDATES = ("message", "edited_message", "callback_query", "my_chat_member")


def qualified(telegram_id: int) -> str:
    """A chat or user id as fxbot knows it: "telegram:<id>"."""
    return f"{PREFIX}{telegram_id}"


def telegram_id(qualified_id: str) -> int:
    """The numeric Telegram id of "telegram:<id>"; ValueError for an id of another platform."""
    if not qualified_id.startswith(PREFIX):
        raise ValueError(f"{qualified_id!r} is not a Telegram id")
    return int(qualified_id[len(PREFIX) :])


def thread_of(message: Message | None) -> str | None:
    """The forum topic a message belongs to (replies elsewhere are not topics)."""
    if message is None or not message.is_topic_message or message.message_thread_id is None:
        return None
    return str(message.message_thread_id)


def chat_ref(chat: Chat, message: Message | None = None) -> ChatRef:
    private = chat.type == ChatType.PRIVATE
    title = chat.title or chat.full_name or chat.username
    return ChatRef(
        id=qualified(chat.id),
        kind=ChatKind.PRIVATE if private else ChatKind.GROUP,
        platform=PLATFORM,
        thread_id=thread_of(message),
        title=title,
    )


def display_name(user: User) -> str:
    """"@username" when the person has one (so /role @name finds them), else their full name."""
    return f"@{user.username}" if user.username else (user.full_name or str(user.id))


def chat_user(user: User, *, is_platform_admin: bool | None) -> ChatUser:
    return ChatUser(id=qualified(user.id), display_name=display_name(user), is_platform_admin=is_platform_admin)


def message_text(message: Message) -> str:
    return message.text or message.caption or ""


def addressed_to_other_bot(text: str, bot_username: str | None) -> bool:
    """True for "/cmd@otherbot": a command meant for another bot in the same group."""
    head = text.lstrip().split(maxsplit=1)[0] if text.strip() else ""
    if not head.startswith("/") or "@" not in head:
        return False
    mention = head.split("@", 1)[1]
    return bot_username is None or mention.casefold() != bot_username.casefold()


def should_route(text: str, *, private: bool, edited: bool, bot_username: str | None) -> bool:
    """Whether a message goes to the core: commands for this bot, anything in a private chat, and in
    groups text that looks like a key (so the core can have it deleted). Edits only for keys."""
    if not text.strip():
        return False
    if looks_like_key(text):
        return True
    if edited:
        return False
    if text.lstrip().startswith("/"):
        return not addressed_to_other_bot(text, bot_username)
    return private


def incoming_command(message: Message, user: ChatUser, chat: ChatRef) -> IncomingCommand:
    received = message.date if message.date is not None else datetime.now(UTC)
    return IncomingCommand(
        user=user, chat=chat, text=message_text(message), message_id=str(message.message_id), received_at=received
    )
