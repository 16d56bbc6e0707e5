"""Start-up: why Telegram refused to start (permanent or transient); commands sent while the bot was down are
not run, and their senders are told so."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable

from telegram import Bot, Message, Update
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError

from fxbot.adapters.telegram.updates import (
    ALLOWED_UPDATES,
    addressed_to_other_bot,
    chat_ref,
    message_text,
)
from fxbot.chat.parser import command_name_of
from fxbot.chat.types import ChatRef, Reply, ReplyKind
from fxbot.plugins import AdapterStartError

log = logging.getLogger(__name__)

OFFLINE_NOTICE = "the bot was offline — {what} not run; send {it} again"
BUTTON_NOTICE = "the bot was restarted — this button is no longer active"

SendNotice = Callable[[ChatRef, Reply, int], Awaitable[None]]


def start_error(error: TelegramError, *, token: str, base_url: str) -> AdapterStartError:
    """The one-line verdict on a failed start: refused for good (token, permissions, a bad request) or worth
    retrying (network, time-out, flood wait, Telegram's own 5xx). The token never appears in it."""
    said = str(error).replace(token, "***") if token else str(error)
    if isinstance(error, InvalidToken):
        return AdapterStartError(
            "Telegram refused the bot token (401/404 Unauthorized) — check telegram.token or "
            f"FXBOT_TELEGRAM__TOKEN, and telegram.base_url ({base_url.replace(token, '***')})", permanent=True)
    if isinstance(error, Forbidden):
        return AdapterStartError(f"Telegram refused the bot (403 Forbidden: {said})", permanent=True)
    if isinstance(error, BadRequest):
        return AdapterStartError(f"Telegram refused a start-up request (400 Bad Request: {said})", permanent=True)
    if isinstance(error, RetryAfter):
        return AdapterStartError("Telegram asks to wait (429 Too Many Requests)", permanent=False)
    if isinstance(error, NetworkError):  # TimedOut, connection refused, 5xx
        return AdapterStartError(f"cannot reach the Telegram Bot API ({type(error).__name__}: {said})",
                                 permanent=False)
    return AdapterStartError(f"Telegram: {type(error).__name__}: {said}", permanent=False)


def offline_notice(names: list[str]) -> Reply:
    shown = ", ".join(f"/{n}" for n in dict.fromkeys(names))
    several = len(names) > 1
    what = f"your commands {shown} were" if several else f"your command {shown} was"
    return Reply(text=(OFFLINE_NOTICE.format(what=what, it="them" if several else "it"),), kind=ReplyKind.WARNING)


async def tell_pending_senders(bot: Bot, send: SendNotice) -> int:
    """Fetch what waited while the bot was down (without running it) and tell each chat once which commands
    were not run; pressed buttons get a toast. Returns how many updates were pending. The caller then starts
    receiving with drop_pending_updates=True, so nothing fetched here is ever executed."""
    try:
        await bot.delete_webhook(drop_pending_updates=False)
        updates = await bot.get_updates(timeout=0, allowed_updates=list(ALLOWED_UPDATES))
    except TelegramError as error:
        log.warning("telegram: could not look at pending updates (%s); they are dropped unseen", error)
        return 0
    per_chat: dict[tuple[str, str | None], tuple[ChatRef, list[str], Message]] = {}
    for update in updates:
        await _answer_stale_button(bot, update)
        message = update.message
        if message is None or message.from_user is None:
            continue
        text = message_text(message)
        name = command_name_of(text)
        if name is None or addressed_to_other_bot(text, bot.username):
            continue
        chat = chat_ref(message.chat, message)
        entry = per_chat.setdefault((chat.id, chat.thread_id), (chat, [], message))
        entry[1].append(name)
        per_chat[(chat.id, chat.thread_id)] = (chat, entry[1], message)
    for chat, names, last in per_chat.values():
        try:
            await send(chat, offline_notice(names), last.message_id)
        except Exception as error:  # one unreachable chat never blocks start-up
            log.warning("telegram: could not tell %s that its commands were not run: %s", chat.id, error)
    if updates:
        log.info("telegram: %d updates arrived while the bot was down; none was run", len(updates))
    return len(updates)


async def _answer_stale_button(bot: Bot, update: Update) -> None:
    query = update.callback_query
    if query is None:
        return
    with contextlib.suppress(TelegramError):  # too old to answer: Telegram already stopped the spinner
        await bot.answer_callback_query(query.id, text=BUTTON_NOTICE, show_alert=False)
