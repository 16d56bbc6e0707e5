"""API keys of the simulator: generation, lookup, revocation, and the scope each REST call needs."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from fxbot.domain.access import Scope


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
        """The live record of a key, or None when missing, unknown or revoked."""
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

    def first_by_scope(self) -> dict[str, str]:
        """scope -> the first live key with that scope (what the runner hands to tests and the banner)."""
        found: dict[str, str] = {}
        for key, record in self._keys.items():
            if not record.revoked:
                found.setdefault(record.scope.value, key)
        return found

    def live_keys(self) -> list[tuple[Scope, str]]:
        return [(record.scope, key) for key, record in self._keys.items() if not record.revoked]


_TRADE_METHODS = frozenset({"POST", "PATCH", "DELETE"})


def required_scope(method: str, path: str) -> Scope:
    """The scope a /v1 REST call needs: GET is read-only, writes on /v1/orders need trade, others full."""
    if method in ("GET", "HEAD"):
        return Scope.READ_ONLY
    if method in _TRADE_METHODS and (path == "/v1/orders" or path.startswith("/v1/orders/")):
        return Scope.TRADE
    return Scope.FULL
