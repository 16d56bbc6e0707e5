"""The Telegram adapter: a PTB Application run in fxbot's loop (manual lifecycle), polling or webhook."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from typing import Any

from telegram import Bot
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest

from fxbot.adapters.telegram.admins import AdminCache
from fxbot.adapters.telegram.buttons import ButtonBook
from fxbot.adapters.telegram.handlers import UpdateHandlers
from fxbot.adapters.telegram.menu import register_menus
from fxbot.adapters.telegram.pacing_gate import PacingGate
from fxbot.adapters.telegram.render import MESSAGE_LIMIT
from fxbot.adapters.telegram.sender import TelegramSender
from fxbot.adapters.telegram.settings import TelegramSettings
from fxbot.adapters.telegram.startup import start_error, tell_pending_senders
from fxbot.adapters.telegram.updates import ALLOWED_UPDATES, PLATFORM
from fxbot.adapters.telegram.webhook import WebhookServer
from fxbot.chat.types import ChatRef, Reply
from fxbot.notify.pacing import PacingLimits
from fxbot.plugins import AdapterRuntime

log = logging.getLogger(__name__)

CONCURRENT_UPDATES = 64

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


class TelegramDeliveryTarget:
    """The notifier's view of Telegram (fxbot.notify.targets.DeliveryTarget): send() returns nothing."""

    platform = PLATFORM
    message_limit: int | None = MESSAGE_LIMIT

    def __init__(self, adapter: TelegramAdapter) -> None:
        self._adapter = adapter

    async def send(self, chat: ChatRef, reply: Reply) -> None:
        await self._adapter.send(chat, reply)


class TelegramAdapter:
    """ChatAdapter for Telegram. `send` (replies and notifications) is paced and raises the notifier's
    DeliveryRetryAfter / DeliveryForbidden; `delivery_target()` is the notifier's DeliveryTarget."""

    name = PLATFORM
    platform = PLATFORM
    message_limit = MESSAGE_LIMIT

    def __init__(
        self,
        settings: TelegramSettings,
        runtime: AdapterRuntime,
        *,
        request: BaseRequest | None = None,
        pacing: PacingLimits | None = None,
    ) -> None:
        self.settings = settings
        self.runtime = runtime
        self._request = request
        self.gate = PacingGate(pacing)  # runtime.extras["telegram_pacing"] (tests) is applied at start()
        self.buttons = ButtonBook()
        self.admins = AdminCache()
        self.sender = TelegramSender(self.gate, self.buttons, runtime.on_chat_migrated)
        self._app: AnyApplication | None = None
        self._webhook: WebhookServer | None = None
        self.handlers = UpdateHandlers(
            runtime.handler, self.sender, self.buttons, self.admins,
            allowed_users=settings.allowed_users,
            admins_are_platform_admins=settings.admins_are_platform_admins,
            bot_username=self._username,
            on_reachable=runtime.on_chat_reachable,
        )

    def __repr__(self) -> str:
        mode = "webhook" if self.settings.webhook_url else "polling"
        return f"TelegramAdapter(mode={mode}, base_url={self.settings.base_url!r})"

    @property
    def bot(self) -> Bot:
        if self._app is None:
            raise RuntimeError("the Telegram adapter is not started")
        bot: Bot = self._app.bot
        return bot

    def delivery_target(self) -> TelegramDeliveryTarget:
        return TelegramDeliveryTarget(self)

    async def start(self) -> None:
        """Connect and start receiving. A Telegram error becomes fxbot.plugins.AdapterStartError, permanent
        (the token was refused: fix the config) or not (network, time-out: the app retries); nothing is left
        open after a failure, so start() may be called again."""
        pacing = self.runtime.extras.get("telegram_pacing")
        if pacing is not None:
            self.gate.set_limits(pacing)
        app = self._build()
        try:
            await app.initialize()  # getMe: a wrong token fails here, before anything else
        except BaseException as error:
            with contextlib.suppress(Exception):
                await asyncio.shield(app.bot.shutdown())  # the HTTP clients opened for getMe
            if isinstance(error, TelegramError):
                raise self._start_error(error) from None
            raise
        self._app = app
        self.sender.bot = app.bot
        try:
            if self.runtime.extras.get("telegram.receive", True):  # False: send only (a delivery process)
                if self.settings.register_commands:
                    await register_menus(app.bot, self.runtime.handler.commands())
                await tell_pending_senders(app.bot, self._notice)
                await self._start_receiving(app)
            await app.start()
        except BaseException as error:
            self._app = None
            await asyncio.shield(self._shutdown(app))
            if isinstance(error, TelegramError):
                raise self._start_error(error) from None
            raise
        receiving = self.runtime.extras.get("telegram.receive", True)
        log.info("telegram: @%s is up (%s)", app.bot.username,
                 "webhook" if self._webhook else "long polling" if receiving else "sending only")

    async def stop(self) -> None:
        if self._app is not None:
            app, self._app = self._app, None
            await self._shutdown(app)

    async def send(self, chat: ChatRef, reply: Reply) -> str | None:
        """Render and send (paced); the id of the last message sent. Raises DeliveryRetryAfter when Telegram
        asks to wait before anything was sent, DeliveryForbidden when the chat refuses the bot."""
        sent = await self.sender.send_reply(chat, reply)
        return str(sent[-1].message_id) if sent else None

    # -- internals --------------------------------------------------------------------------------

    def _start_error(self, error: TelegramError) -> Exception:
        return start_error(error, token=self.settings.token.get_secret_value(), base_url=self.settings.base_url)

    def _username(self) -> str | None:
        return self._app.bot.username if self._app is not None else None

    def _build(self) -> AnyApplication:
        token = self.settings.token.get_secret_value()
        builder = (
            ApplicationBuilder()
            .token(token)
            .base_url(self.settings.api_base_url())
            .base_file_url(self.settings.file_base_url())
            .concurrent_updates(CONCURRENT_UPDATES)
            .job_queue(None)  # schedules belong to fxbot's scheduler, never PTB's JobQueue
        )
        request = self.runtime.extras.get("telegram_request", self._request)
        if request is not None:
            builder = builder.request(request).get_updates_request(request)
        if self.settings.webhook_url:
            builder = builder.updater(None)
        app = builder.build()
        handlers = self.handlers
        app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, handlers.on_migration))
        app.add_handler(MessageHandler((filters.TEXT | filters.CAPTION) & filters.UpdateType.MESSAGES,
                                       handlers.on_message))
        app.add_handler(CallbackQueryHandler(handlers.on_callback))
        app.add_handler(ChatMemberHandler(handlers.on_my_membership, ChatMemberHandler.MY_CHAT_MEMBER))
        app.add_error_handler(handlers.on_error)
        return app

    async def _start_receiving(self, app: AnyApplication) -> None:
        settings = self.settings
        if settings.webhook_url is None:
            assert app.updater is not None
            await app.updater.start_polling(
                timeout=dt.timedelta(seconds=settings.poll_timeout_s),
                drop_pending_updates=True,
                allowed_updates=list(ALLOWED_UPDATES),
            )
            return
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
        self._webhook = WebhookServer(
            app.bot, app.update_queue, listen=settings.webhook_listen, port=settings.webhook_port,
            path=settings.webhook_path, secret=secret, certfile=settings.webhook_cert, keyfile=settings.webhook_key,
        )
        await self._webhook.start()
        await app.bot.set_webhook(settings.webhook_url, secret_token=secret, drop_pending_updates=True,
                                  allowed_updates=list(ALLOWED_UPDATES))

    async def _notice(self, chat: ChatRef, reply: Reply, message_id: int) -> None:
        await self.handlers.reply(chat, reply, None if chat.is_private else message_id)

    async def _shutdown(self, app: AnyApplication) -> None:
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if self._webhook is not None:
            await self._webhook.stop()
            self._webhook = None
        if app.running:
            await app.stop()
        await app.shutdown()
