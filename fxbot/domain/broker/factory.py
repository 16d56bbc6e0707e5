"""Choosing a broker backend for a stored secret: key kinds by prefix, and the registry of backends."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Protocol

from fxbot.domain.broker.errors import UnsupportedKeyError
from fxbot.domain.broker.ports import Broker, BrokerStream, StreamSettings


class KeyKind(StrEnum):
    """Which FxSocket API a key belongs to."""

    V1 = "v1"  # `sk_live_…` / `sk_test_…`: the public `/v1` API (Bearer auth)
    SDK = "sdk"  # `fxs_live_…` (full) / `fxs_ro_…` (read-only): the official SDK's management + terminal API


#: Key prefixes and the API they belong to (the prefix is the only non-invasive way to tell).
KEY_PREFIXES: Mapping[str, KeyKind] = {
    "sk_": KeyKind.V1,
    "fxs_live_": KeyKind.SDK,
    "fxs_ro_": KeyKind.SDK,
}

_KIND_NAMES: Mapping[KeyKind, str] = {
    KeyKind.V1: "FxSocket /v1 API keys",
    KeyKind.SDK: "FxSocket terminal-API keys (fxs_live_/fxs_ro_)",
}


def key_prefix(secret: str) -> str | None:
    """The known prefix the secret starts with (`fxs_live_`, …), or None."""
    return next((p for p in sorted(KEY_PREFIXES, key=len, reverse=True) if secret.startswith(p)), None)


def key_kind(secret: str) -> KeyKind | None:
    """The API a secret belongs to by its prefix, or None for an unknown prefix."""
    prefix = key_prefix(secret)
    return KEY_PREFIXES[prefix] if prefix is not None else None


class BrokerBackend(Protocol):
    """One FxSocket API: builds clients and streams for secrets of its `kind`, sharing what it can.

    `client` and `stream` never do I/O (streams connect when first iterated) and never log or show
    the secret. `aclose()` releases what the backend shares between its clients (HTTP pools).
    """

    @property
    def kind(self) -> KeyKind: ...

    def client(self, secret: str) -> Broker: ...

    def stream(self, secret: str, settings: StreamSettings | None = None) -> BrokerStream: ...

    async def aclose(self) -> None: ...


class BrokerFactory(Protocol):
    """What the core asks for a stored secret: a Broker and a BrokerStream of the right backend."""

    def client(self, secret: str) -> Broker: ...

    def stream(self, secret: str, settings: StreamSettings | None = None) -> BrokerStream: ...


class BrokerBackends:
    """The registry of backends: picks one per secret by the key's prefix (a `BrokerFactory`).

    Backends are registered by the composition root (`register`), at most one per `KeyKind`. A secret
    with no known prefix goes to the `unprefixed` kind (default `/v1`, which answers 401 for a
    non-key, as before backends existed); `unprefixed=None` refuses it instead. A secret whose kind
    has no backend registered raises `UnsupportedKeyError`.
    """

    def __init__(self, backends: Iterable[BrokerBackend] = (), *,
                 unprefixed: KeyKind | None = KeyKind.V1) -> None:
        self._backends: dict[KeyKind, BrokerBackend] = {}
        self._unprefixed = unprefixed
        for backend in backends:
            self.register(backend)

    def __repr__(self) -> str:
        return f"BrokerBackends({sorted(kind.value for kind in self._backends)})"

    @property
    def kinds(self) -> frozenset[KeyKind]:
        """The key kinds a backend is registered for."""
        return frozenset(self._backends)

    def register(self, backend: BrokerBackend) -> None:
        """Add a backend; ValueError when one is already registered for its kind."""
        kind = KeyKind(backend.kind)
        if kind in self._backends:
            raise ValueError(f"a backend for {kind.value} keys is already registered")
        self._backends[kind] = backend

    def kind_of(self, secret: str) -> KeyKind:
        """The kind of key a secret is treated as; UnsupportedKeyError for an unknown prefix when refused."""
        kind = key_kind(secret)
        if kind is not None:
            return kind
        if self._unprefixed is None:
            known = ", ".join(f"{p}…" for p in KEY_PREFIXES)
            raise UnsupportedKeyError(f"this is not an FxSocket API key (they start with {known})")
        return self._unprefixed

    def supports(self, secret: str) -> bool:
        """True when a backend is registered for the secret's kind."""
        try:
            return self.kind_of(secret) in self._backends
        except UnsupportedKeyError:
            return False

    def backend_for(self, secret: str) -> BrokerBackend:
        """The backend for a secret; UnsupportedKeyError (naming the prefix, never the key) when none."""
        kind = self.kind_of(secret)
        backend = self._backends.get(kind)
        if backend is None:
            prefix = key_prefix(secret) or "this prefix"
            raise UnsupportedKeyError(
                f"keys starting with {prefix} are {_KIND_NAMES[kind]}, which this fxbot does not support yet"
                + (" — use an sk_live_… key" if KeyKind.V1 in self._backends else ""))
        return backend

    def client(self, secret: str) -> Broker:
        """A new broker client for the secret (the caller caches it per stored key)."""
        return self.backend_for(secret).client(secret)

    def stream(self, secret: str, settings: StreamSettings | None = None) -> BrokerStream:
        """A new, not yet connected stream for the secret; the caller closes it."""
        return self.backend_for(secret).stream(secret, settings)

    async def aclose(self) -> None:
        """Close every registered backend (each one's shared resources), even when one fails."""
        errors: list[BaseException] = []
        for backend in self._backends.values():
            try:
                await backend.aclose()
            except Exception as exc:  # close the others first, then report
                errors.append(exc)
        if errors:
            raise errors[0]
