"""The access matrix: every key scope (incl. none) x role x chat kind against every permission."""

from __future__ import annotations

import itertools

import pytest

from fxbot.chat.access import NO_KEY, PRIVATE_ONLY, ROLE_TOO_LOW, SCOPE_TOO_LOW, check_access
from fxbot.chat.context import ChatContext
from fxbot.chat.registry import Permission
from fxbot.chat.types import ChatKind, ChatRef, ChatUser
from fxbot.domain.access import Role, Scope
from fxbot.errors import AccessDenied

# Ranks written out here, independently of the production ordering.
SCOPE_RANK = {Scope.READ_ONLY: 0, Scope.TRADE: 1, Scope.FULL: 2}
ROLE_RANK = {Role.VIEWER: 0, Role.TRADER: 1, Role.ADMIN: 2}
SCOPES: list[Scope | None] = [None, Scope.READ_ONLY, Scope.TRADE, Scope.FULL]

PERMISSIONS = [Permission(scope, role, private_only)
               for scope, role, private_only in itertools.product(SCOPES, list(Role), [False, True])]
CONTEXTS = list(itertools.product(SCOPES, list(Role), list(ChatKind)))
USER = ChatUser("telegram:7", "Dana")


def context(key_scope: Scope | None, role: Role, kind: ChatKind) -> ChatContext:
    chat = ChatRef("telegram:7" if kind is ChatKind.PRIVATE else "telegram:-1", kind, "telegram")
    return ChatContext(chat=chat, user=USER, role=role, key_scope=key_scope,
                       key_name="k" if key_scope else None, account_id=None, binding_owner=None)


def expected_code(permission: Permission, key_scope: Scope | None, role: Role, kind: ChatKind) -> str | None:
    """The rule, stated plainly: private-only first, then role, then key present, then key scope."""
    if permission.private_only and kind is not ChatKind.PRIVATE:
        return PRIVATE_ONLY
    if ROLE_RANK[role] < ROLE_RANK[permission.role]:
        return ROLE_TOO_LOW
    if permission.scope is None:
        return None
    if key_scope is None:
        return NO_KEY
    if SCOPE_RANK[key_scope] < SCOPE_RANK[permission.scope]:
        return SCOPE_TOO_LOW
    return None


@pytest.mark.parametrize(("permission", "key_scope", "role", "kind"),
                         [(p, s, r, k) for p in PERMISSIONS for (s, r, k) in CONTEXTS])
def test_access_matrix(permission: Permission, key_scope: Scope | None, role: Role, kind: ChatKind) -> None:
    denial = check_access(permission, context(key_scope, role, kind), "cmd")
    expected = expected_code(permission, key_scope, role, kind)
    if expected is None:
        assert denial is None
        return
    assert isinstance(denial, AccessDenied)
    assert denial.code == expected
    assert denial.reason and "\n" not in denial.reason
    allowed = (ROLE_RANK[role] >= ROLE_RANK[permission.role]
               and (permission.scope is None
                    or (key_scope is not None and SCOPE_RANK[key_scope] >= SCOPE_RANK[permission.scope]))
               and (not permission.private_only or kind is ChatKind.PRIVATE))
    assert not allowed  # a denial always means some requirement is really missing


def test_matrix_covers_every_combination() -> None:
    assert len(PERMISSIONS) == 24 and len(CONTEXTS) == 24


def test_reason_texts() -> None:
    trade = Permission(Scope.TRADE, Role.TRADER)
    denial = check_access(trade, context(Scope.READ_ONLY, Role.TRADER, ChatKind.GROUP), "buy")
    assert denial is not None and denial.reason == "this chat's key is read-only — /buy needs a trade key"
    full = Permission(Scope.FULL, Role.VIEWER)
    denial = check_access(full, context(Scope.TRADE, Role.ADMIN, ChatKind.GROUP), "keys")
    assert denial is not None and denial.reason == "this chat's key is a trade key — /keys needs a full key"
    denial = check_access(trade, context(Scope.TRADE, Role.VIEWER, ChatKind.GROUP), "buy")
    assert denial is not None and denial.reason == (
        "you are a viewer here — /buy needs a trader; an admin can make you a trader with /role")
    denial = check_access(Permission(None, Role.ADMIN), context(None, Role.TRADER, ChatKind.GROUP), "bind")
    assert denial is not None and denial.reason == "you are a trader here — /bind needs a chat admin"
    denial = check_access(trade, context(None, Role.ADMIN, ChatKind.PRIVATE), "buy")
    assert denial is not None
    assert denial.reason == "this chat has no FxSocket key: /link KEY in a private chat"
    denial = check_access(trade, context(None, Role.ADMIN, ChatKind.GROUP), "buy")
    assert denial is not None and denial.reason == "this chat has no FxSocket key — an admin must /bind a key"
    denial = check_access(Permission(None, Role.VIEWER, private_only=True),
                          context(None, Role.ADMIN, ChatKind.GROUP), "link")
    assert denial is not None and denial.reason == (
        "/link only works in a private chat — use a private chat with the bot")


def test_platform_admin_flag_alone_grants_nothing() -> None:
    """The resolver maps platform admins to a role; the check itself only trusts the resolved role."""
    ctx = ChatContext(chat=ChatRef("c", ChatKind.GROUP, "telegram"),
                      user=ChatUser("u", "U", is_platform_admin=True), role=Role.VIEWER, key_scope=Scope.FULL)
    assert check_access(Permission(None, Role.ADMIN), ctx) is not None
