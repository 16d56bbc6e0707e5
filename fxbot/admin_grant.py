"""`fxbot grant-admin`: make a person an fxbot admin of a group chat from the host running the bot.

The way to give a group its first admin on a platform whose plugin does not report chat admins (nobody is
admin there until one is set), or to recover a group whose admins have all left. Recorded in the audit log."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from fxbot.domain.access import Role
from fxbot.errors import UsageError
from fxbot.storage import Member, Storage

HOST_ACTOR = "host:fxbot-cli"
"""Who the audit log names for a grant made on the host."""


def _platform(qualified_id: str, what: str) -> str:
    platform, sep, local = qualified_id.partition(":")
    if not sep or not platform or not local or any(c.isspace() for c in qualified_id):
        raise UsageError(f"{what} {qualified_id!r} must be a platform-qualified id such as telegram:-100123 or "
                         "matrix:@alice:example.org (see /members in that chat)")
    return platform


async def grant_admin(storage: Storage, chat_id: str, user_id: str, *,
                      clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> Member:
    """Give `user_id` the admin role in `chat_id` (the member is created if the bot has not seen them yet)."""
    chat_platform = _platform(chat_id, "the chat")
    user_platform = _platform(user_id, "the user")
    if chat_platform != user_platform:
        raise UsageError(f"the user ({user_platform}) and the chat ({chat_platform}) are on different platforms")
    existing = await storage.members.get(chat_id, user_id)
    name = existing.display_name if existing is not None else user_id
    member = await storage.members.set_role(chat_id, user_id, Role.ADMIN, name)
    previous = existing.role.value if existing is not None else "not seen yet"
    await storage.audit.record(chat_id, HOST_ACTOR, f"grant-admin {user_id}", True,
                               f"{name} is now an admin (was {previous})", 0.0, clock())
    return member
