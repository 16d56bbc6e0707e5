"""Resolving who is asking and with which key: the storage-backed ChatContextResolver.

Roles:
- private chat: the one person in it owns the chat and is its admin;
- group: the stored member role; a person seen for the first time is recorded as a viewer.
- platform admins (Telegram chat admin, Discord "Manage Server"): with `platform_admins_are_admins`
  (the default) they are admins, and their stored role is raised to admin when they speak (so /members
  shows it); /role refuses to demote them while they are platform admins (a marker in the chat's
  setting values remembers who was seen as one). With the option off they are ordinary members.
- a group with no fxbot admin yet: platform admins act as admins (so they can /bind and claim it);
  on a platform that reports no administrators (console, plugins not in `platforms_reporting_admins`)
  anyone acts as admin until the first /bind, whose sender becomes the chat's stored admin.
"""

from __future__ import annotations

from fxbot.chat.context import ChatContext
from fxbot.chat.types import ChatRef, ChatUser
from fxbot.domain.access import Role
from fxbot.services.team import platform_admin_marker
from fxbot.storage import Storage

PLATFORMS_REPORTING_ADMINS = frozenset({"telegram", "discord"})


class StorageChatContextResolver:
    """Implements fxbot.chat.context.ChatContextResolver on top of Storage (bindings, keys, members)."""

    def __init__(
        self,
        *,
        storage: Storage,
        platform_admins_are_admins: bool = True,
        platforms_reporting_admins: frozenset[str] = PLATFORMS_REPORTING_ADMINS,
    ) -> None:
        self._storage = storage
        self._platform_admins_are_admins = platform_admins_are_admins
        self._platforms_reporting_admins = platforms_reporting_admins

    def __repr__(self) -> str:
        return f"StorageChatContextResolver(platform_admins_are_admins={self._platform_admins_are_admins})"

    async def resolve(self, chat: ChatRef, user: ChatUser) -> ChatContext:
        role = Role.ADMIN if chat.is_private else await self.group_role(chat, user)
        binding = await self._storage.bindings.get(chat.id)
        key = None if binding is None else await self._storage.keys.get(binding.key_id)
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
        marker = platform_admin_marker(user.id)
        if user.is_platform_admin and self._platform_admins_are_admins:
            if existing is None or existing.role is not Role.ADMIN or existing.display_name != user.display_name:
                await members.set_role(chat.id, user.id, Role.ADMIN, user.display_name)
                await self._storage.settings.set_value(chat.id, marker, "yes")
            return Role.ADMIN
        if existing is None:
            member = await members.ensure(chat.id, user.id, user.display_name, Role.VIEWER)
        else:
            member = existing
            if existing.display_name != user.display_name:
                member = await members.ensure(chat.id, user.id, user.display_name, existing.role)
            if existing.role is Role.ADMIN:
                await self._storage.settings.set_value(chat.id, marker, None)  # no longer a platform admin
        if member.role is Role.ADMIN:
            return Role.ADMIN
        if await members.count_admins(chat.id) == 0 and (
            user.is_platform_admin or chat.platform not in self._platforms_reporting_admins
        ):
            return Role.ADMIN  # nobody administers this group in fxbot yet: may claim it with /bind
        return member.role
