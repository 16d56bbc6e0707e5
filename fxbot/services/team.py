"""People and roles in a shared chat: members, role changes (never losing the last admin), the audit log.

Constructor: `TeamService(*, storage: Storage)`.
"""

from __future__ import annotations

from dataclasses import dataclass

from fxbot.domain.access import Role
from fxbot.errors import NotFound, UsageError
from fxbot.storage import AuditEntry, Member, Storage

DEFAULT_AUDIT_ENTRIES = 10
MAX_AUDIT_ENTRIES = 50


@dataclass(frozen=True, slots=True)
class RoleChange:
    """A role given to a member, with the role they had before."""

    member: Member
    previous: Role


def platform_admin_marker(user_id: str) -> str:
    """The chat setting value name that records "this member was last seen as a platform admin"."""
    return f"platform-admin:{user_id}"[:64]


def platform_of(chat_id: str) -> str:
    """The platform prefix of a platform-qualified id ("telegram:-100" -> "telegram")."""
    return chat_id.split(":", 1)[0] if ":" in chat_id else ""


class TeamService:
    """Reads and changes the roles of a group chat's members; reads the chat's audit log."""

    def __init__(self, *, storage: Storage) -> None:
        self._storage = storage

    def __repr__(self) -> str:
        return "TeamService()"

    async def members(self, chat_id: str) -> list[Member]:
        """Every member the bot has seen in the chat, admins first."""
        return await self._storage.members.list(chat_id)

    async def find_member(self, chat_id: str, ref: str) -> Member:
        """The member named by "@name", a display name, a platform id ("telegram:42") or a bare numeric id."""
        text = ref.strip()
        if not text:
            raise UsageError("name a member, e.g. @alice", usage="/role @USER viewer|trader|admin")
        candidates = [text]
        if text.lstrip("-").isdigit():
            candidates.insert(0, f"{platform_of(chat_id)}:{text}")
        for user_id in candidates:
            member = await self._storage.members.get(chat_id, user_id)
            if member is not None:
                return member
        found = await self._storage.members.find_by_name(chat_id, text)
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            ids = ", ".join(m.user_id for m in found)
            raise UsageError(f"several members are called {text!r} ({ids}) — use the id instead")
        raise NotFound(
            f"I don't know {text!r} in this chat yet — they need to send a command here once "
            "(any command, e.g. /help); see /members"
        )

    async def set_role(self, chat_id: str, ref: str, role: Role) -> RoleChange:
        """Give the member named by `ref` this role; the last admin cannot be demoted."""
        member = await self.find_member(chat_id, ref)
        previous = member.role
        if previous is role:
            return RoleChange(member=member, previous=previous)
        if previous is Role.ADMIN and await self._storage.settings.get_value(
            chat_id, platform_admin_marker(member.user_id)
        ):
            raise UsageError(
                f"{member.display_name} administers this chat on {platform_of(chat_id) or 'the platform'}, and "
                "platform admins are fxbot admins — remove their admin rights there first"
            )
        if previous is Role.ADMIN and await self._storage.members.count_admins(chat_id) <= 1:
            raise UsageError(
                f"{member.display_name} is the last admin of this chat — make someone else admin first"
            )
        updated = await self._storage.members.set_role(chat_id, member.user_id, role, member.display_name)
        return RoleChange(member=updated, previous=previous)

    async def audit(self, chat_id: str, limit: int = DEFAULT_AUDIT_ENTRIES) -> list[AuditEntry]:
        """The chat's most recent audited commands, newest first."""
        if not 1 <= limit <= MAX_AUDIT_ENTRIES:
            raise UsageError(
                f"the number of entries must be between 1 and {MAX_AUDIT_ENTRIES} (you gave {limit})"
            )
        return await self._storage.audit.recent(chat_id, limit)
