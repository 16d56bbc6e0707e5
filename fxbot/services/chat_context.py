"""Resolving who is asking and with which key: the storage-backed ChatContextResolver.

Roles:
- private chat: the one person in it owns the chat and is its admin;
- group: the stored member role; a person seen for the first time is recorded as a viewer.
- platform admins (Telegram chat admin, Discord "Manage Server") count only on a platform whose plugin
  declares that it reports chat admins (`PlatformFacts.reports_admins`; default: it does not). There,
  with `platform_admins_are_admins` (the default) they are admins, and their stored role is raised to
  admin when they speak (so /members shows it); /role refuses to demote them while they are platform
  admins (a marker in the chat's setting values remembers who was seen as one). The marker is cleared
  only when the platform says "not an admin" (`is_platform_admin is False`), never when it could not
  tell (None). With the option off they are ordinary members.
- a group with no fxbot admin yet: platform admins act as admins (so they can /bind and claim it); on
  a platform that reports no administrators nobody is admin until an fxbot admin is set (default deny:
  `fxbot grant-admin`, or an existing admin's /role).
"""

from __future__ import annotations

from fxbot.chat.context import ChatContext
from fxbot.chat.types import ChatRef, ChatUser
from fxbot.domain.access import Role
from fxbot.services.chat_reads import chat_binding, stored_key
from fxbot.services.team import platform_admin_marker
from fxbot.storage import Storage


class StorageChatContextResolver:
    """Implements fxbot.chat.context.ChatContextResolver on top of Storage (bindings, keys, members).

    `platforms_reporting_admins`: the platforms whose plugin declares that it reports chat admins."""

    def __init__(
        self,
        *,
        storage: Storage,
        platform_admins_are_admins: bool = True,
        platforms_reporting_admins: frozenset[str] = frozenset(),
    ) -> None:
        self._storage = storage
        self._platform_admins_are_admins = platform_admins_are_admins
        self._platforms_reporting_admins = platforms_reporting_admins

    def __repr__(self) -> str:
        return (f"StorageChatContextResolver(platform_admins_are_admins={self._platform_admins_are_admins},"
                f" platforms_reporting_admins={sorted(self._platforms_reporting_admins)})")

    async def resolve(self, chat: ChatRef, user: ChatUser) -> ChatContext:
        role = Role.ADMIN if chat.is_private else await self.group_role(chat, user)
        binding = await chat_binding(self._storage, chat.id)
        key = None if binding is None else await stored_key(self._storage, binding.key_id)
        if binding is None or key is None:
            return ChatContext(chat=chat, user=user, role=role)
        return ChatContext(
            chat=chat,
            user=user,
            role=role,
            key_scope=key.scope,
            key_name=key.name,
            account_id=binding.account_id,
            binding_owner=key.owner_id,
        )

    async def group_role(self, chat: ChatRef, user: ChatUser) -> Role:
        """The sender's role in a group; records the member (so /members lists everyone who spoke)."""
        members = self._storage.members
        existing = await members.get(chat.id, user.id)
        reported = chat.platform in self._platforms_reporting_admins
        platform_admin = reported and user.is_platform_admin is True
        if platform_admin and self._platform_admins_are_admins:
            if existing is None or existing.role is not Role.ADMIN or existing.display_name != user.display_name:
                await members.set_role(chat.id, user.id, Role.ADMIN, user.display_name)
            await self._mark_platform_admin(chat.id, user.id, True)
            return Role.ADMIN
        if existing is None:
            member = await members.ensure(chat.id, user.id, user.display_name, Role.VIEWER)
        else:
            member = existing
            if existing.display_name != user.display_name:
                member = await members.ensure(chat.id, user.id, user.display_name, existing.role)
            if existing.role is Role.ADMIN and reported and user.is_platform_admin is False:
                await self._mark_platform_admin(chat.id, user.id, False)  # no longer a platform admin
        if member.role is Role.ADMIN:
            return Role.ADMIN
        if platform_admin and await members.count_admins(chat.id) == 0:
            return Role.ADMIN  # nobody administers this group in fxbot yet: may claim it with /bind
        return member.role

    async def _mark_platform_admin(self, chat_id: str, user_id: str, is_admin: bool) -> None:
        """Set or clear the "seen as platform admin" marker, writing only when it changes."""
        settings = self._storage.settings
        marker = platform_admin_marker(user_id)
        if (await settings.get_value(chat_id, marker) is not None) != is_admin:
            await settings.set_value(chat_id, marker, "yes" if is_admin else None)
