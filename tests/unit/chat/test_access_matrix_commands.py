"""Every registered command × every key scope (incl. none) × every role × private/group against a hand table."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

import pytest

from fxbot.chat.access import NO_KEY, PRIVATE_ONLY, ROLE_TOO_LOW, SCOPE_TOO_LOW, check_access
from fxbot.chat.context import ChatContext
from fxbot.chat.registry import CommandSpec, Permission
from fxbot.chat.types import ChatKind, ChatRef, ChatUser
from fxbot.commands import chat_settings as settings_commands
from fxbot.commands.catalog import build_registry
from fxbot.domain.access import Role, Scope

R, T, F = Scope.READ_ONLY, Scope.TRADE, Scope.FULL
V, TR, A = Role.VIEWER, Role.TRADER, Role.ADMIN


@dataclass(frozen=True)
class Rule:
    """The minimum a command needs, written by hand (independently of the declarations)."""

    scope: Scope | None
    role: Role
    private_only: bool = False


EXPECTED: dict[str, Rule] = {
    # help
    "help": Rule(None, V),
    "start": Rule(None, V),
    # trading: a trade key and a trader
    "buy": Rule(T, TR),
    "sell": Rule(T, TR),
    "buylimit": Rule(T, TR),
    "selllimit": Rule(T, TR),
    "buystop": Rule(T, TR),
    "sellstop": Rule(T, TR),
    "buystoplimit": Rule(T, TR),
    "sellstoplimit": Rule(T, TR),
    "modify": Rule(T, TR),
    "close": Rule(T, TR),
    "cancel": Rule(T, TR),
    "reverse": Rule(T, TR),
    # managed stops: setting a rule needs a trade key and a trader (/be); /trail lists for anyone
    "be": Rule(T, TR),
    "trail": Rule(None, V),  # listing; setting is checked with manage.CHANGE (trade key, trader)
    # reads: any key, anyone
    "positions": Rule(R, V),
    "orders": Rule(R, V),
    "quote": Rule(R, V),
    "candles": Rule(R, V),
    "history": Rule(R, V),
    "account": Rule(R, V),
    "accounts": Rule(R, V),
    # which account a (shared) chat trades is an admin decision
    "use": Rule(R, A),
    # a person's own keys: no key needed, private chats only
    "link": Rule(None, V, private_only=True),
    "keys": Rule(None, V, private_only=True),
    "unlink": Rule(None, V, private_only=True),
    # sharing a key with a chat; managing the team
    "bind": Rule(None, A),
    "role": Rule(None, A),
    "audit": Rule(None, A),
    "members": Rule(None, V),
    "settings": Rule(None, V),  # showing; changing is checked with CHANGE (below)
    "status": Rule(None, V),
    # alerts: a trader sets and deletes them (any key, even read-only; checked when creating); anyone views
    "alert": Rule(None, TR),
    "alerts": Rule(None, V),
    "notify": Rule(None, V),  # showing; changing is checked with alerts.CHANGE_NOTIFY (trader)
    # reports: any key, anyone
    "pnl": Rule(R, V),
    "chart": Rule(R, V),
    "digest": Rule(R, V),  # showing and /digest now; switching on/off is checked with digest.CHANGE (admin)
    "export": Rule(R, V),  # a CSV of what /history and /pnl show
    # webhooks run commands as their creator: only a chat admin makes or revokes one; no key needed to manage
    "webhook": Rule(None, A),
    "guard": Rule(R, V),  # showing the guard; setting, off and unblock are checked with guard.CHANGE (admin)
    "watchdog": Rule(None, V),  # showing; the Friday reminder is checked with watchdog.CHANGE (admin)
}

SCOPES: tuple[Scope | None, ...] = (None, R, T, F)
KINDS = (ChatKind.PRIVATE, ChatKind.GROUP)
REGISTRY = build_registry()
SPECS = {spec.name: spec for spec in REGISTRY.all()}


def _context(kind: ChatKind, role: Role, scope: Scope | None) -> ChatContext:
    chat = ChatRef("telegram:1" if kind is ChatKind.PRIVATE else "telegram:-100", kind, "telegram")
    user = ChatUser("telegram:1", "Alice")
    return ChatContext(chat=chat, user=user, role=role, key_scope=scope,
                       key_name="main" if scope else None, binding_owner="telegram:1" if scope else None)


def _allowed_by(rule: Rule, kind: ChatKind, role: Role, scope: Scope | None) -> bool:
    if rule.private_only and kind is not ChatKind.PRIVATE:
        return False
    if not role.allows(rule.role):
        return False
    if rule.scope is None:
        return True
    return scope is not None and scope.allows(rule.scope)


def _expected_code(rule: Rule, kind: ChatKind, role: Role, scope: Scope | None) -> str | None:
    if rule.private_only and kind is not ChatKind.PRIVATE:
        return PRIVATE_ONLY
    if not role.allows(rule.role):
        return ROLE_TOO_LOW
    if rule.scope is None:
        return None
    if scope is None:
        return NO_KEY
    return None if scope.allows(rule.scope) else SCOPE_TOO_LOW


def _as_rule(permission: Permission) -> Rule:
    return Rule(permission.scope, permission.role, permission.private_only)


def test_every_registered_command_is_in_the_hand_table() -> None:
    missing = sorted(set(SPECS) - set(EXPECTED))
    assert not missing, f"add the expected minimum of {missing} to EXPECTED in this test"


def test_every_command_of_the_hand_table_is_registered() -> None:
    unregistered = sorted(set(EXPECTED) - set(SPECS))
    assert not unregistered, f"{unregistered} are expected but not registered"


@pytest.mark.parametrize("name", sorted(SPECS))
def test_declaration_matches_the_hand_table(name: str) -> None:
    spec: CommandSpec[object] = SPECS[name]  # type: ignore[assignment]
    assert _as_rule(spec.permission) == EXPECTED[name]
    if spec.permission.scope is None and name not in ("help", "start"):
        assert spec.permission.needs_binding is False, f"/{name} needs no key, so it must not need a binding"


@pytest.mark.parametrize("name", sorted(SPECS))
def test_access_check_agrees_with_declaration_and_table(name: str) -> None:
    spec = SPECS[name]
    table_rule = EXPECTED[name]
    declared = _as_rule(spec.permission)
    cases = 0
    for kind, role, scope in product(KINDS, Role, SCOPES):
        denial = check_access(spec.permission, _context(kind, role, scope), name)
        allowed = denial is None
        where = f"/{name} in a {kind} chat, {role} with key {scope}"
        assert allowed is _allowed_by(table_rule, kind, role, scope), f"{where}: table says otherwise"
        assert allowed is _allowed_by(declared, kind, role, scope), f"{where}: declaration says otherwise"
        expected_code = _expected_code(table_rule, kind, role, scope)
        assert (denial.code if denial else None) == expected_code, where
        if denial is not None:
            assert denial.reason and "sk_" not in denial.reason
        cases += 1
    assert cases == len(KINDS) * len(Role) * len(SCOPES) == 24


@pytest.mark.parametrize(("kind", "role", "scope"), list(product(KINDS, Role, SCOPES)))
def test_changing_settings_needs_an_admin(kind: ChatKind, role: Role, scope: Scope | None) -> None:
    assert _as_rule(settings_commands.CHANGE) == Rule(None, A)
    denial = check_access(settings_commands.CHANGE, _context(kind, role, scope), "settings")
    assert (denial is None) is (role is Role.ADMIN)


def test_only_the_state_changing_commands_of_this_helper_are_audited() -> None:
    audited = {name for name, spec in SPECS.items() if spec.state_changing}
    mine_changing = {"use", "link", "unlink", "bind", "role", "settings"}
    mine_reading = {"quote", "candles", "history", "account", "accounts", "keys", "members", "audit", "status"}
    assert mine_changing <= audited
    assert not (mine_reading & audited)


@pytest.mark.parametrize(("kind", "role", "scope"), list(product(KINDS, Role, SCOPES)))
def test_in_handler_change_checks_of_notify_and_digest(kind: ChatKind, role: Role, scope: Scope | None) -> None:
    """/notify changes need a trader (any key or none); /digest on|off needs an admin and a key."""
    from fxbot.commands import alerts as alert_commands
    from fxbot.commands import digest as digest_commands

    ctx = _context(kind, role, scope)
    notify_denial = check_access(alert_commands.CHANGE_NOTIFY, ctx, "notify")
    assert (notify_denial is None) is role.allows(Role.TRADER)
    digest_denial = check_access(digest_commands.CHANGE, ctx, "digest")
    assert (digest_denial is None) is (role is Role.ADMIN and scope is not None)


@pytest.mark.parametrize(("kind", "role", "scope"), list(product(KINDS, Role, SCOPES)))
def test_changing_the_guard_needs_an_admin_and_a_key(kind: ChatKind, role: Role, scope: Scope | None) -> None:
    from fxbot.commands import guard as guard_commands

    denial = check_access(guard_commands.CHANGE, _context(kind, role, scope), "guard")
    assert (denial is None) is (role is Role.ADMIN and scope is not None)
