"""The SDK backend satisfies the broker port: Broker, BrokerStream and BrokerBackend, statically and by signature,
and the registry sends `fxs_live_`/`fxs_ro_` keys to it."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator

import pytest

from fxbot.backends.sdk import SdkBackend
from fxbot.backends.sdk_broker import SdkBroker
from fxbot.backends.sdk_stream import SdkStream
from fxbot.domain.broker import (
    Broker,
    BrokerBackend,
    BrokerBackends,
    BrokerStream,
    InvalidArgumentError,
    KeyKind,
    StreamSettings,
    SupportsCloseAll,
    SupportsMarginCalc,
    SupportsSymbolSpecs,
    SupportsTerminalStatus,
    UnsupportedKeyError,
)

SECRET = "fxs_live_VerySecretValue0001"


def _as_broker(client: SdkBroker) -> Broker:
    return client  # mypy --strict checks this assignment


def _as_stream(stream: SdkStream) -> BrokerStream:
    return stream  # mypy --strict checks this assignment


def _as_backend(backend: SdkBackend) -> BrokerBackend:
    return backend  # mypy --strict checks this assignment


def _capabilities(client: SdkBroker) -> tuple[SupportsSymbolSpecs, SupportsMarginCalc, SupportsTerminalStatus,
                                              SupportsCloseAll]:
    return client, client, client, client  # mypy --strict checks these too


def _methods(protocol: type) -> list[str]:
    return [name for name, value in vars(protocol).items()
            if callable(value) and (not name.startswith("_") or name in ("__aiter__", "__anext__"))]


@pytest.fixture
async def backend() -> AsyncIterator[SdkBackend]:
    made = SdkBackend(management_url="http://127.0.0.1:1/sdk/v1")
    yield made
    await made.aclose()


@pytest.mark.parametrize(("protocol", "implementation"), [
    (Broker, SdkBroker), (BrokerStream, SdkStream), (BrokerBackend, SdkBackend), (SupportsSymbolSpecs, SdkBroker),
    (SupportsMarginCalc, SdkBroker), (SupportsTerminalStatus, SdkBroker), (SupportsCloseAll, SdkBroker),
])
def test_signatures_match_the_protocol(protocol: type, implementation: type) -> None:
    names = _methods(protocol)
    assert names, "protocol has no methods?"
    for name in names:
        expected = inspect.signature(getattr(protocol, name))
        actual = inspect.signature(getattr(implementation, name))
        assert list(actual.parameters) == list(expected.parameters), name
        for param_name, param in expected.parameters.items():
            assert actual.parameters[param_name].kind == param.kind, (name, param_name)
            assert actual.parameters[param_name].default == param.default, (name, param_name)


async def test_runtime_protocols_and_no_secret_in_reprs(backend: SdkBackend) -> None:
    assert _as_backend(backend).kind is KeyKind.SDK
    client = backend.client(SECRET)
    stream = backend.stream(SECRET, StreamSettings(reconnect_min_s=0.01, reconnect_max_s=0.1))
    assert isinstance(_as_broker(client), Broker) and isinstance(_as_stream(stream), BrokerStream)
    assert all(_capabilities(client))
    for text in (repr(client), repr(stream), repr(backend)):
        assert SECRET not in text and "VerySecret" not in text
    assert not stream.connected
    await stream.close()
    await client.aclose()


async def test_the_registry_picks_it_by_key_prefix(backend: SdkBackend) -> None:
    registry = BrokerBackends([backend])
    assert registry.kinds == {KeyKind.SDK}
    assert isinstance(registry.client("fxs_ro_readOnly0001"), SdkBroker)
    assert isinstance(registry.client(SECRET), SdkBroker)
    with pytest.raises(UnsupportedKeyError):
        registry.client("sk_live_v1Key0001")


@pytest.mark.parametrize("secret", ["", "fxs_live_with space", "fxs_live_ünïcode"])
async def test_a_key_no_header_can_carry_is_refused_with_a_port_error(backend: SdkBackend, secret: str) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        backend.client(secret)
    assert secret not in info.value.message or not secret
    with pytest.raises(InvalidArgumentError):
        backend.stream(secret)


async def test_invalid_arguments_leave_as_port_errors(backend: SdkBackend) -> None:
    client = backend.client(SECRET)
    with pytest.raises(InvalidArgumentError, match="at least 1"):
        await client.get_candles("EURUSD", limit=0)
    stream = backend.stream(SECRET)
    with pytest.raises(InvalidArgumentError, match="at least one symbol"):
        await stream.subscribe_quotes([])
    await stream.close()
    await client.aclose()
