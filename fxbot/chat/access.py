"""The one access check: chat kind, the sender's role and the bound key's scope must all allow a command."""

from __future__ import annotations

from fxbot.chat.context import ChatContext
from fxbot.chat.registry import Permission
from fxbot.domain.access import Role, Scope
from fxbot.errors import AccessDenied

PRIVATE_ONLY = "private_only"
ROLE_TOO_LOW = "role"
NO_KEY = "no_key"
SCOPE_TOO_LOW = "scope"


def check_access(permission: Permission, ctx: ChatContext, command: str | None = None) -> AccessDenied | None:
    """None when allowed, else a denial whose `.reason` tells the person why and what would fix it.

    Checked in this order: private chat, role, key bound, key scope. Anything not explicitly allowed
    is denied."""
    label = f"/{command}" if command else "this command"
    if permission.private_only and not ctx.chat.is_private:
        return private_only_denial(command)
    if not ctx.role.allows(permission.role):
        return AccessDenied(_role_reason(ctx.role, permission.role, label), ROLE_TOO_LOW)
    if permission.scope is None:
        return None
    if ctx.key_scope is None:
        if ctx.chat.is_private:
            return AccessDenied("this chat has no FxSocket key: /link KEY in a private chat", NO_KEY)
        return AccessDenied("this chat has no FxSocket key — an admin must /bind a key", NO_KEY)
    if not ctx.key_scope.allows(permission.scope):
        return AccessDenied(_scope_reason(ctx.key_scope, permission.scope, label), SCOPE_TOO_LOW)
    return None


def private_only_denial(command: str | None = None) -> AccessDenied:
    """The refusal of a private-only command in a group chat."""
    label = f"/{command}" if command else "this command"
    return AccessDenied(f"{label} only works in a private chat — use a private chat with the bot", PRIVATE_ONLY)


def _role_reason(have: Role, need: Role, label: str) -> str:
    if need is Role.ADMIN:
        return f"you are a {have} here — {label} needs a chat admin"
    return f"you are a {have} here — {label} needs a {need}; an admin can make you a {need} with /role"


def _scope_reason(have: Scope, need: Scope, label: str) -> str:
    have_words = "read-only" if have is Scope.READ_ONLY else f"a {have} key"
    return f"this chat's key is {have_words} — {label} needs a {need} key"
