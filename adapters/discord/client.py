"""The Discord adapter: a discord.py client in fxbot's loop (login + connect, never run), slash commands
from the registry, and sending replies and notifications to channels and DMs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import discord
from discord import app_commands

from fxbot.adapters.discord.autocomplete import Completer
from fxbot.adapters.discord.commands_sync import install_commands
from fxbot.adapters.discord.delivery import DiscordDeliveryTarget
from fxbot.adapters.discord.identity import destination_of
from fxbot.adapters.discord.interactions import InteractionRunner, message_kwargs
from fxbot.adapters.discord.lasting_buttons import lasting, lasting_button_type, lasting_view
from fxbot.adapters.discord.plugin import DiscordSettings
from fxbot.adapters.discord.render import render_reply
from fxbot.adapters.discord.views import ActionView
from fxbot.chat.types import ChatRef, Reply
from fxbot.plugins import AdapterRuntime, AdapterStartError

log = logging.getLogger(__name__)

MAX_RATELIMIT_WAIT_S = 30.0  # longer 429 waits raise RateLimited, so the notifier can re-queue instead
_NONE = discord.AllowedMentions.none()


def minimal_intents() -> discord.Intents:
    """Slash commands need no intents; `guilds` (not privileged) keeps discord.py's channel cache sane.
    No message content, no members, no presences."""
    return discord.Intents(guilds=True)


def _gateway_client(settings: DiscordSettings) -> discord.Client:
    """The client for this process's gateway shards: one connection (unsharded, or the one shard given), or an
    AutoShardedClient for several shard ids of the bot's `shard_count` (several front processes, one token)."""
    common: dict[str, object] = {"intents": minimal_intents(), "allowed_mentions": _NONE,
                                 "max_ratelimit_timeout": MAX_RATELIMIT_WAIT_S}
    if settings.shard_count is None:
        return discord.Client(**common)  # type: ignore[arg-type]
    if len(settings.shard_ids) == 1:
        return discord.Client(shard_id=settings.shard_ids[0], shard_count=settings.shard_count,
                              **common)  # type: ignore[arg-type]
    shard_ids = settings.shard_ids or list(range(settings.shard_count))
    return discord.AutoShardedClient(shard_ids=shard_ids, shard_count=settings.shard_count,
                                     **common)  # type: ignore[arg-type]


class _CommandTree(app_commands.CommandTree[discord.Client]):
    async def on_error(self, interaction: discord.Interaction[discord.Client],
                       error: app_commands.AppCommandError, /) -> None:
        name = interaction.command.name if interaction.command is not None else "?"
        log.error("discord: /%s failed: %s", name, type(error).__name__, exc_info=error)


class DiscordAdapter:
    """Implements ChatAdapter; `delivery` implements the notifier's DeliveryTarget.

    Test seams (no network): `client` is created here, so a test can replace its HTTP layer before
    `start()`; with `gateway_enabled = False` start() only logs in over REST and does not open the
    gateway (tests then inject interactions). The same through `runtime.extras`, read at start():
    "discord.transport" (a callable receiving the discord.Client) and "discord.gateway" (bool)."""

    name = "discord"
    platform = "discord"
    message_limit = 2000

    def __init__(self, settings: DiscordSettings, runtime: AdapterRuntime) -> None:
        self._settings = settings
        self.runtime = runtime
        self.client = _gateway_client(settings)
        self.tree = _CommandTree(self.client)
        self.completer = Completer(runtime.symbols)
        self.runner = InteractionRunner(
            runtime.handler, self.completer, allowed_users=settings.allowed_users,
            admins_are_platform_admins=settings.admins_are_platform_admins,
            confirm_timeout_s=settings.confirm_timeout_s,
        )
        install_commands(self.tree, runtime.handler.commands(), self.runner.invoke, self.runner.complete,
                         guild_ids=settings.guild_ids)
        self.delivery = DiscordDeliveryTarget(self)
        self._lasting = lasting_button_type(self.runner.press)  # notification buttons, after a restart too
        self.client.add_dynamic_items(self._lasting)
        self.runner.on_chat_seen.append(self.delivery.seen)
        self.gateway_enabled = True
        self._gateway: asyncio.Task[None] | None = None
        self._dm_channels: dict[int, discord.abc.Messageable] = {}

    def __repr__(self) -> str:
        return f"DiscordAdapter(guild_ids={self._settings.guild_ids!r}, gateway={self.gateway_enabled})"

    def delivery_target(self) -> DiscordDeliveryTarget:
        """The notifier's DeliveryTarget for Discord (platform "discord", 2000 characters a message)."""
        return self.delivery

    async def start(self) -> None:
        """Log in (REST) and connect the gateway as a background task of this loop."""
        transport: Callable[[discord.Client], object] | None = self.runtime.extras.get("discord.transport")
        if transport is not None:
            transport(self.client)
        try:
            await self.client.login(self._settings.token.get_secret_value())
        except BaseException as error:
            with contextlib.suppress(Exception):
                await asyncio.shield(self.client.http.close())  # a retry opens a fresh session
            if isinstance(error, discord.LoginFailure):
                raise AdapterStartError("Discord refused the bot token (401 Unauthorized) — check discord.token or"
                                        " FXBOT_DISCORD__TOKEN", permanent=True) from None
            if isinstance(error, discord.HTTPException):
                refused = 400 <= error.status < 500 and error.status != 429
                raise AdapterStartError(f"Discord answered {error.status} at login", permanent=refused) from None
            raise
        if bool(self.runtime.extras.get("discord.gateway", self.gateway_enabled)):
            self._gateway = asyncio.create_task(self._connect(), name="discord-gateway")

    async def _connect(self) -> None:
        try:
            await self.client.connect(reconnect=True)
        except asyncio.CancelledError:
            raise
        except discord.PrivilegedIntentsRequired:
            log.error("discord: the gateway refused the intents (none are privileged — check the bot settings)")
        except Exception as error:
            log.error("discord: the gateway connection ended: %s", type(error).__name__)

    async def stop(self) -> None:
        """Close the client (gateway and HTTP session) and wait for the gateway task."""
        await self.client.close()
        if self._gateway is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._gateway), timeout=5.0)
            except (TimeoutError, asyncio.CancelledError):
                self._gateway.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await self._gateway
            self._gateway = None

    async def send(self, chat: ChatRef, reply: Reply) -> str | None:
        """Post a reply or notification to a channel, thread or DM (no mentions ever ping);
        returns the id of the last message. Raises discord.HTTPException as discord.py does."""
        channel = await self._channel(chat)
        last: discord.Message | None = None
        messages = render_reply(reply)
        for index, message in enumerate(messages):
            view: discord.ui.View | None = None
            if reply.buttons and index == len(messages) - 1:
                view = lasting_view(reply.buttons, self._lasting) if lasting(reply.buttons) else ActionView(
                    reply.buttons, self.runner.press, timeout=self._settings.confirm_timeout_s, content=message.content)
            last = await channel.send(**message_kwargs(message, view), allowed_mentions=_NONE,
                                      silent=reply.silent)
            if isinstance(view, ActionView):
                view.message = last
        return str(last.id) if last is not None else None

    async def _channel(self, chat: ChatRef) -> discord.abc.Messageable:
        destination = destination_of(chat)
        if destination.dm_user_id is not None:
            cached = self._dm_channels.get(destination.dm_user_id)
            if cached is None:
                cached = await self.client.create_dm(discord.Object(id=destination.dm_user_id))
                self._dm_channels[destination.dm_user_id] = cached
            return cached
        assert destination.channel_id is not None
        return self.client.get_partial_messageable(destination.channel_id)

