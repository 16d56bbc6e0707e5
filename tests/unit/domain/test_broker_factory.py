"""The backend registry: picks the backend per secret by key prefix and never shows the secret."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from fxbot.backends.v1 import V1Backend, V1Broker, V1Stream
from fxbot.domain.broker import (
    Broker,
    BrokerBackend,
    BrokerBackends,
    BrokerFactory,
    BrokerStream,
    KeyKind,
    StreamSettings,
    UnsupportedKeyError,
    key_kind,
)

SDK_SECRET = "fxs_live_TopSecretValue123"


class RecordingBackend:
    """A backend of any kind that builds its objects with a real (never connected) /v1 backend."""

    def __init__(self, kind: KeyKind, inner: V1Backend, *, fail_close: bool = False) -> None:
        self.kind = kind
        self._inner = inner
        self.fail_close = fail_close
        self.secrets: list[str] = []
        self.settings: list[StreamSettings | None] = []
        self.closed = False

    def client(self, secret: str) -> Broker:
        self.secrets.append(secret)
        return self._inner.client("sk_test_inner")

    def stream(self, secret: str, settings: StreamSettings | None = None) -> BrokerStream:
        self.secrets.append(secret)
        self.settings.append(settings)
        return self._inner.stream("sk_test_inner", settings)

    async def aclose(self) -> None:
        self.closed = True
        if self.fail_close:
            raise RuntimeError("close failed")


@pytest.fixture
async def v1() -> AsyncIterator[V1Backend]:
    backend = V1Backend(http=httpx.AsyncClient(), base_url="http://127.0.0.1:1",
                        stream_url="ws://127.0.0.1:1/v1/stream")
    yield backend
    await backend.aclose()


def _as_backend(backend: V1Backend) -> BrokerBackend:
    return backend  # mypy --strict checks this assignment


def _as_factory(backends: BrokerBackends) -> BrokerFactory:
    return backends  # mypy --strict checks this assignment


@pytest.mark.parametrize(("secret", "kind"), [
    ("sk_live_abc", KeyKind.V1), ("sk_test_abc", KeyKind.V1), ("fxs_live_abc", KeyKind.SDK),
    ("fxs_ro_abc", KeyKind.SDK), ("fxs_abc", None), ("pk_live_abc", None), ("", None),
])
def test_key_kind_by_prefix(secret: str, kind: KeyKind | None) -> None:
    assert key_kind(secret) == kind


def test_v1_keys_get_v1_clients_and_streams(v1: V1Backend) -> None:
    backends = _as_factory(BrokerBackends([_as_backend(v1)]))
    assert isinstance(backends.client("sk_test_abc"), V1Broker)
    assert isinstance(backends.stream("sk_live_abc", StreamSettings(reconnect_min_s=0.1)), V1Stream)


def test_sdk_keys_are_refused_clearly_until_their_backend_is_registered(v1: V1Backend) -> None:
    backends = BrokerBackends([v1])
    assert not backends.supports(SDK_SECRET) and backends.supports("sk_test_abc")
    for call in (backends.client, backends.stream):
        with pytest.raises(UnsupportedKeyError) as info:
            call(SDK_SECRET)
        message = info.value.message
        assert "fxs_live_" in message and "not support" in message and "sk_live_" in message
        assert "TopSecret" not in message and "TopSecret" not in repr(info.value)


def test_a_registered_sdk_backend_gets_its_keys(v1: V1Backend) -> None:
    sdk = RecordingBackend(KeyKind.SDK, v1)
    backends = BrokerBackends([v1])
    backends.register(sdk)
    settings = StreamSettings(silence_timeout_s=5)
    backends.client("fxs_ro_abc")
    backends.stream(SDK_SECRET, settings)
    assert sdk.secrets == ["fxs_ro_abc", SDK_SECRET] and sdk.settings == [settings]
    assert backends.kinds == {KeyKind.V1, KeyKind.SDK}
    assert backends.backend_for("sk_live_x") is v1 and backends.backend_for("fxs_live_x") is sdk


def test_one_backend_per_kind(v1: V1Backend) -> None:
    backends = BrokerBackends([v1])
    with pytest.raises(ValueError, match="already registered"):
        backends.register(RecordingBackend(KeyKind.V1, v1))


def test_unprefixed_secrets_go_to_v1_unless_refused(v1: V1Backend) -> None:
    assert BrokerBackends([v1]).backend_for("legacy-key") is v1
    strict = BrokerBackends([v1], unprefixed=None)
    with pytest.raises(UnsupportedKeyError, match="not an FxSocket API key") as info:
        strict.client("legacy-key")
    assert "legacy-key" not in info.value.message
    assert not strict.supports("legacy-key")


def test_nothing_registered_refuses_every_key() -> None:
    with pytest.raises(UnsupportedKeyError, match="sk_"):
        BrokerBackends().client("sk_test_abc")


async def test_aclose_closes_every_backend_even_after_a_failure(v1: V1Backend) -> None:
    failing = RecordingBackend(KeyKind.V1, v1, fail_close=True)
    sdk = RecordingBackend(KeyKind.SDK, v1)
    backends = BrokerBackends([failing, sdk])
    with pytest.raises(RuntimeError, match="close failed"):
        await backends.aclose()
    assert failing.closed and sdk.closed


def test_stream_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="positive"):
        StreamSettings(silence_timeout_s=0)
    with pytest.raises(ValueError, match="below"):
        StreamSettings(reconnect_min_s=5, reconnect_max_s=1)
