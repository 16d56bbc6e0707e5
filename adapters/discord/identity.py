"""Platform-qualified ids for Discord: who pressed or typed (ChatUser) and where (ChatRef), and back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import discord

from fxbot.adapters.discord.plugin import DM_LOCAL_PREFIX
from fxbot.chat.types import ChatKind, ChatRef, ChatUser

PLATFORM = "discord"
_DM_PREFIX = f"{PLATFORM}:{DM_LOCAL_PREFIX}"
_THREAD_TYPES = (discord.ChannelType.public_thread, discord.ChannelType.private_thread,
                 discord.ChannelType.news_thread)


@dataclass(frozen=True, slots=True)
class Destination:
    """Where a chat id points on Discord: a channel (or thread) id, or the DM of a user id."""

    channel_id: int | None = None
    dm_user_id: int | None = None


def user_id_of(user: discord.abc.User) -> str:
    return f"{PLATFORM}:{user.id}"


def dm_chat_id(user_id: int) -> str:
    """The private chat between the bot and a Discord user: "discord:dm:<user id>"."""
    return f"{_DM_PREFIX}{user_id}"


def chat_user(interaction: discord.Interaction[Any], *, admins_are_platform_admins: bool) -> ChatUser:
    """The person behind an interaction; Manage Server or Administrator makes them a platform admin."""
    user = interaction.user
    admin = False
    if admins_are_platform_admins and interaction.guild_id is not None:
        permissions = interaction.permissions
        admin = permissions.administrator or permissions.manage_guild
    return ChatUser(id=user_id_of(user), display_name=user.display_name, is_platform_admin=admin)


def chat_ref(interaction: discord.Interaction[Any]) -> ChatRef:
    """The conversation of an interaction. DMs with the bot are "discord:dm:<user id>" (private); a guild
    channel is "discord:<channel id>" (group); a thread belongs to its parent channel, with thread_id set."""
    channel = interaction.channel
    channel_type = getattr(channel, "type", None)
    if interaction.guild_id is None and channel_type in (None, discord.ChannelType.private):
        return ChatRef(id=dm_chat_id(interaction.user.id), kind=ChatKind.PRIVATE, platform=PLATFORM,
                       title=interaction.user.display_name)
    channel_id = interaction.channel_id or 0
    title = getattr(channel, "name", None)
    if channel_type in _THREAD_TYPES:
        parent_id = getattr(channel, "parent_id", None)
        if parent_id is not None:
            return ChatRef(id=f"{PLATFORM}:{parent_id}", kind=ChatKind.GROUP, platform=PLATFORM,
                           thread_id=str(channel_id), title=title)
    return ChatRef(id=f"{PLATFORM}:{channel_id}", kind=ChatKind.GROUP, platform=PLATFORM, title=title)


def destination_of(chat: ChatRef) -> Destination:
    """Where to post for a chat; ValueError when the id is not a Discord chat id."""
    if chat.id.startswith(_DM_PREFIX):
        return Destination(dm_user_id=_snowflake(chat.id[len(_DM_PREFIX):], chat.id))
    prefix, _, rest = chat.id.partition(":")
    if prefix != PLATFORM:
        raise ValueError(f"{chat.id!r} is not a Discord chat id")
    target = chat.thread_id if chat.thread_id else rest
    return Destination(channel_id=_snowflake(target, chat.id))


def _snowflake(text: str, chat_id: str) -> int:
    if not text.isdigit():
        raise ValueError(f"{chat_id!r} is not a Discord chat id")
    return int(text)
