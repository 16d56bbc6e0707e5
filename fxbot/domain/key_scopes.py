"""What each kind of FxSocket key may be declared to do: its scope ceiling and default, read from its prefix.

A `/v1` key (`sk_…`) does not reveal its scope, so the owner declares it (default `trade`) and a 403 lowers
it. A terminal-API key does: `fxs_ro_…` is read-only (every write is refused by FxSocket), so nothing above
`read-only` may be declared for it; `fxs_live_…` is the account owner's master key (it can do everything,
management included), so it is `full` unless the owner caps it to `trade` or `read-only` for a chat.
The prefix is the only safe way to tell: probing a live key's powers would make it return secrets.
"""

from __future__ import annotations

from dataclasses import dataclass

from fxbot.domain.access import Scope
from fxbot.domain.broker.factory import key_prefix

READ_ONLY_PREFIX = "fxs_ro_"
LIVE_PREFIX = "fxs_live_"
DECLARED_DEFAULT = Scope.TRADE  # a key that does not reveal its scope is stored as `trade` unless declared


@dataclass(frozen=True, slots=True)
class KeyScopes:
    """The scopes a key may be stored with. `prefix` is the key's known prefix (never the key itself)."""

    prefix: str | None
    ceiling: Scope  # the most the key can do
    default: Scope  # what is stored when the owner declares nothing
    revealed: bool  # True when the prefix says what the key can do (terminal-API keys)

    @property
    def is_live(self) -> bool:
        """True for an `fxs_live_` key: the account owner's master key."""
        return self.prefix == LIVE_PREFIX

    @property
    def is_read_only(self) -> bool:
        """True for an `fxs_ro_` key."""
        return self.prefix == READ_ONLY_PREFIX

    def allows(self, scope: Scope) -> bool:
        """True when the key may be declared (or capped to) `scope`."""
        return self.ceiling.allows(scope)

    def refusal(self, scope: Scope) -> str | None:
        """Why the key cannot be stored with `scope` (a sentence naming the prefix), or None when it can."""
        if self.allows(scope):
            return None
        return (f"an {self.prefix}… key is a read-only key: FxSocket refuses every order, change and close made "
                f"with it, so it cannot be linked as {scope.value} — link it as read-only (or leave the scope "
                f"out), or use the account's {LIVE_PREFIX}… key for a chat that trades")

    def chosen(self, scope: Scope | None) -> Scope:
        """The scope to store: the declared one, else the default (a declared scope is checked with `refusal`)."""
        return scope if scope is not None else self.default


DECLARED = KeyScopes(prefix=None, ceiling=Scope.FULL, default=DECLARED_DEFAULT, revealed=False)
"""A key whose prefix says nothing about its scope (no prefix known: the owner declares it)."""
_READ_ONLY = KeyScopes(prefix=READ_ONLY_PREFIX, ceiling=Scope.READ_ONLY, default=Scope.READ_ONLY, revealed=True)
_LIVE = KeyScopes(prefix=LIVE_PREFIX, ceiling=Scope.FULL, default=Scope.FULL, revealed=True)


def key_scopes(secret: str) -> KeyScopes:
    """The scopes a secret may be stored with, judged by its prefix alone (no I/O, nothing logged)."""
    prefix = key_prefix(secret.strip())
    if prefix == READ_ONLY_PREFIX:
        return _READ_ONLY
    if prefix == LIVE_PREFIX:
        return _LIVE
    return KeyScopes(prefix=prefix, ceiling=Scope.FULL, default=DECLARED_DEFAULT, revealed=False)


def capped(secret: str, scope: Scope) -> Scope:
    """`scope` lowered to what the key can do (an `fxs_ro_` key declared `trade` becomes `read-only`)."""
    ceiling = key_scopes(secret).ceiling
    return scope if ceiling.allows(scope) else ceiling
