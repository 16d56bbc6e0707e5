"""Key scopes and chat roles, both ordered from least to most powerful."""

from __future__ import annotations

from enum import StrEnum


class Scope(StrEnum):
    """What an FxSocket key allows: read-only < trade < full."""

    READ_ONLY = "read-only"
    TRADE = "trade"
    FULL = "full"

    @property
    def rank(self) -> int:
        return _SCOPE_ORDER.index(self)

    def allows(self, required: Scope) -> bool:
        """True when this scope is at least the required one."""
        return self.rank >= required.rank


class Role(StrEnum):
    """What a person may do in one chat: viewer < trader < admin."""

    VIEWER = "viewer"
    TRADER = "trader"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _ROLE_ORDER.index(self)

    def allows(self, required: Role) -> bool:
        """True when this role is at least the required one."""
        return self.rank >= required.rank


_SCOPE_ORDER = (Scope.READ_ONLY, Scope.TRADE, Scope.FULL)
_ROLE_ORDER = (Role.VIEWER, Role.TRADER, Role.ADMIN)
