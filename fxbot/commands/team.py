"""Team commands for shared chats: /role (admin sets a member's role), /members, /audit (recent changes)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fxbot.chat.argument_types import ArgKind, Argument, BoundArgs, count_argument
from fxbot.chat.context import CommandContext
from fxbot.chat.registry import CommandRegistry, CommandSpec, Permission
from fxbot.chat.types import ChatUser, Reply, ReplyKind, Table
from fxbot.domain.access import Role
from fxbot.domain.formatting import format_time
from fxbot.errors import UserError
from fxbot.services.team import DEFAULT_AUDIT_ENTRIES, MAX_AUDIT_ENTRIES, RoleChange
from fxbot.storage import AuditEntry, Member

if TYPE_CHECKING:
    from fxbot.services.container import Services

ADMIN_ONLY = Permission(scope=None, role=Role.ADMIN, needs_binding=False)
ANYONE = Permission(scope=None, role=Role.VIEWER, needs_binding=False)
CATEGORY = "team"
ROLE_MEANING = {
    Role.VIEWER: "can read (quotes, positions, account)",
    Role.TRADER: "can also trade",
    Role.ADMIN: "can also manage the chat (roles, settings, key)",
}


def role_reply(change: RoleChange) -> Reply:
    member = change.member
    if change.previous is member.role:
        return Reply(text=(f"{member.display_name} is already a {member.role.value} — nothing changed",))
    return Reply(
        kind=ReplyKind.OK,
        text=(
            f"{member.display_name} is now a {member.role.value} (was {change.previous.value}) — "
            f"{ROLE_MEANING[member.role]}",
        ),
    )


def members_reply(members: list[Member], timezone: str) -> Reply:
    if not members:
        return Reply(title="Members", text=("nobody has used the bot in this chat yet",))
    rows = tuple(
        (m.display_name, m.role.value, m.user_id, format_time(m.updated_at, timezone)) for m in members
    )
    counts = {role: sum(1 for m in members if m.role is role) for role in Role}
    summary = ", ".join(
        f"{counts[role]} {role.value}{'s' if counts[role] != 1 else ''}" for role in reversed(Role)
    )
    return Reply(
        title="Members",
        table=Table(headers=("Name", "Role", "Id", "Updated"), rows=rows),
        text=(summary, "people appear here once they have sent the bot a command in this chat"),
    )


def private_members_reply(user: ChatUser) -> Reply:
    """A private chat has one member, its admin: the person talking to the bot (nothing is stored for it)."""
    return Reply(
        title="Members",
        table=Table(headers=("Name", "Role", "Id"), rows=((user.display_name, Role.ADMIN.value, user.id),)),
        text=("a private chat: you are its only member and its admin — roles (/role) are for group chats",),
    )


def audit_reply(entries: list[AuditEntry], names: dict[str, str], timezone: str) -> Reply:
    if not entries:
        return Reply(
            title="Audit log", text=("no state-changing command has been recorded in this chat yet",)
        )
    rows = tuple(
        (
            format_time(e.at, timezone),
            names.get(e.user_id, e.user_id),
            e.command[:60],
            "ok" if e.ok else "failed",
            e.result.replace("\n", " · ")[:80],
            f"{e.latency_ms:.0f} ms",
        )
        for e in entries
    )
    return Reply(
        title=f"Audit log — last {len(entries)}",
        table=Table(
            headers=("When", "Who", "Command", "Result", "Detail", "Latency"),
            rows=rows,
            align=("l", "l", "l", "l", "l", "r"),
        ),
    )


async def role_command(cmd: CommandContext[Services], args: BoundArgs) -> Reply:
    if cmd.chat.is_private:
        raise UserError("roles apply to group chats — in a private chat you are its only member and admin")
    change = await cmd.services.team.set_role(cmd.chat.id, args.text("user"), args.value("role", Role))
    return role_reply(change)


async def members_command(cmd: CommandContext[Services], args: BoundArgs) -> Reply:
    if cmd.chat.is_private:
        return private_members_reply(cmd.user)
    members = await cmd.services.team.members(cmd.chat.id)
    return members_reply(members, await cmd.services.chat_settings.timezone(cmd.chat.id))


async def audit_command(cmd: CommandContext[Services], args: BoundArgs) -> Reply:
    limit = args.optional("count", int) or DEFAULT_AUDIT_ENTRIES
    entries = await cmd.services.team.audit(cmd.chat.id, limit)
    names = {m.user_id: m.display_name for m in await cmd.services.team.members(cmd.chat.id)}
    names.setdefault(cmd.user.id, cmd.user.display_name)
    return audit_reply(entries, names, await cmd.services.chat_settings.timezone(cmd.chat.id))


def register(registry: CommandRegistry[Services]) -> None:
    """Add /role, /members and /audit."""
    registry.register(
        CommandSpec(
            name="role",
            aliases=(),
            summary="Set a member's role in this group: viewer, trader or admin",
            usage="/role @USER viewer|trader|admin",
            examples=("/role @alice trader",),
            arguments=(
                Argument("user", ArgKind.USER_REF, help="@name or the member's id (see /members)"),
                Argument("role", ArgKind.ROLE, help="viewer (read), trader (trade) or admin (manage)"),
            ),
            permission=ADMIN_ONLY,
            handler=role_command,
            state_changing=True,
            category=CATEGORY,
            details="The last admin cannot be demoted. People appear once they have used the bot here.",
        )
    )
    registry.register(
        CommandSpec(
            name="members",
            aliases=(),
            summary="People in this chat and their roles",
            usage="/members",
            examples=("/members",),
            arguments=(),
            permission=ANYONE,
            handler=members_command,
            category=CATEGORY,
        )
    )
    registry.register(
        CommandSpec(
            name="audit",
            aliases=(),
            summary="Recent state-changing commands: who, what, result and latency",
            usage="/audit [COUNT]",
            examples=("/audit", "/audit 30"),
            arguments=(
                count_argument("count", "entries", default=DEFAULT_AUDIT_ENTRIES, maximum=MAX_AUDIT_ENTRIES),
            ),
            permission=ADMIN_ONLY,
            handler=audit_command,
            category=CATEGORY,
        )
    )
