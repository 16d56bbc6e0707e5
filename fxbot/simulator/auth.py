"""API keys of the simulator (both faces): generation, lookup, revocation, and the scope each REST call needs.

Keys starting `fxs_live_` (full) or `fxs_ro_` (read-only) belong to the SDK face (`/sdk/…`); every other
key belongs to `/v1`. One store holds both kinds; each face looks up only its own.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from fxbot.domain.access import Scope

SDK_FULL_PREFIX = "fxs_live_"
SDK_READ_ONLY_PREFIX = "fxs_ro_"


@dataclass(slots=True)
class KeyRecord:
    """One key's grant. The key string itself is the dict key in KeyStore and never in a repr."""

    scope: Scope
    accounts: tuple[str, ...] | None = None  # None: every account of the simulator
    revoked: bool = False

    def reachable(self, all_accounts: Sequence[str]) -> list[str]:
        """The accounts this key reaches, in the simulator's order."""
        if self.accounts is None:
            return list(all_accounts)
        return [acc for acc in all_accounts if acc in self.accounts]


def generate_key(scope: Scope) -> str:
    """A fresh random simulator key, e.g. `sk_test_trade_3f9…`."""
    return f"sk_test_{scope.value.replace('-', '')}_{secrets.token_urlsafe(24)}"


def is_sdk_key(key: str) -> bool:
    """True for a key of the SDK protocol (`fxs_live_…` or `fxs_ro_…`)."""
    return key.startswith((SDK_FULL_PREFIX, SDK_READ_ONLY_PREFIX))


def sdk_key_scope(key: str) -> Scope | None:
    """The only scope an SDK key can have (full for `fxs_live_`, read-only for `fxs_ro_`); None for /v1 keys."""
    if key.startswith(SDK_FULL_PREFIX):
        return Scope.FULL
    if key.startswith(SDK_READ_ONLY_PREFIX):
        return Scope.READ_ONLY
    return None


def key_scope_problem(key: str, scope: Scope) -> str | None:
    """Why `key` cannot have `scope` (SDK keys carry their scope in their prefix), or None; never quotes the key."""
    fixed = sdk_key_scope(key)
    if fixed is None or fixed is scope:
        return None
    prefix = SDK_FULL_PREFIX if fixed is Scope.FULL else SDK_READ_ONLY_PREFIX
    return f"an {prefix}… key is an SDK key of scope {fixed.value}, not {scope.value}"


def generate_sdk_key(scope: Scope) -> str:
    """A fresh random SDK key: `fxs_live_…` for full, `fxs_ro_…` for read-only."""
    if scope is Scope.FULL:
        return f"{SDK_FULL_PREFIX}{secrets.token_urlsafe(24)}"
    if scope is Scope.READ_ONLY:
        return f"{SDK_READ_ONLY_PREFIX}{secrets.token_urlsafe(24)}"
    raise ValueError(f"the SDK protocol has no {scope.value} keys")


def initial_keys(given: Sequence[tuple[str, str]] | None) -> list[tuple[Scope, str]]:
    """The keys a simulator starts with: the given ones, and generated ones for a face that got none.

    Without given /v1 keys there is one generated `sk_test_…` key per scope; without given SDK keys,
    one `fxs_live_…` (full) and one `fxs_ro_…` (read-only).
    """
    chosen = [(Scope(scope), key) for scope, key in given or ()]
    if not any(not is_sdk_key(key) for _, key in chosen):
        chosen += [(scope, generate_key(scope)) for scope in Scope]
    if not any(is_sdk_key(key) for _, key in chosen):
        chosen += [(scope, generate_sdk_key(scope)) for scope in (Scope.FULL, Scope.READ_ONLY)]
    return chosen


def parse_bearer(header: str | None) -> str | None:
    """The key of an `Authorization: Bearer <key>` header, or None when absent or malformed."""
    if not header:
        return None
    kind, _, value = header.strip().partition(" ")
    value = value.strip()
    if kind.lower() != "bearer" or not value:
        return None
    return value


class KeyStore:
    """Keys by their secret string; lookups never reveal the key in errors or logs."""

    def __init__(self, keys: Iterable[tuple[Scope, str]]) -> None:
        self._keys: dict[str, KeyRecord] = {}
        for scope, key in keys:
            self._keys[key] = KeyRecord(scope=scope)

    def __repr__(self) -> str:
        return f"KeyStore(<{len(self._keys)} keys>)"

    def lookup(self, key: str | None) -> KeyRecord | None:
        """The live record of a /v1 key, or None when missing, unknown, revoked or an SDK key."""
        if key is None or is_sdk_key(key):
            return None
        return self.lookup_any(key)

    def lookup_sdk(self, key: str | None) -> KeyRecord | None:
        """The live record of an SDK key (`fxs_live_…`/`fxs_ro_…`), or None (a /v1 key is None here)."""
        if key is None or not is_sdk_key(key):
            return None
        return self.lookup_any(key)

    def lookup_any(self, key: str | None) -> KeyRecord | None:
        """The live record of a key of either face, or None when missing, unknown or revoked."""
        if key is None:
            return None
        record = self._keys.get(key)
        if record is None or record.revoked:
            return None
        return record

    def contains(self, key: str) -> bool:
        return key in self._keys

    def add(self, key: str, scope: Scope, accounts: tuple[str, ...] | None = None) -> None:
        self._keys[key] = KeyRecord(scope=scope, accounts=accounts)

    def revoke(self, key: str) -> bool:
        """Revoke a key; False when the key is unknown or already revoked."""
        record = self._keys.get(key)
        if record is None or record.revoked:
            return False
        record.revoked = True
        return True

    def first_by_scope(self, *, sdk: bool = False) -> dict[str, str]:
        """scope -> the first live /v1 key (SDK key when `sdk`) with that scope (for tests and the banner)."""
        found: dict[str, str] = {}
        for scope, key in self.live_keys(sdk=sdk):
            found.setdefault(scope.value, key)
        return found

    def live_keys(self, *, sdk: bool = False) -> list[tuple[Scope, str]]:
        """(scope, key) of every live /v1 key, or of every live SDK key when `sdk`."""
        return [
            (record.scope, key)
            for key, record in self._keys.items()
            if not record.revoked and is_sdk_key(key) == sdk
        ]


_TRADE_METHODS = frozenset({"POST", "PATCH", "DELETE"})


def required_scope(method: str, path: str) -> Scope:
    """The scope a /v1 REST call needs: GET is read-only, writes on /v1/orders need trade, others full."""
    if method in ("GET", "HEAD"):
        return Scope.READ_ONLY
    if method in _TRADE_METHODS and (path == "/v1/orders" or path.startswith("/v1/orders/")):
        return Scope.TRADE
    return Scope.FULL
