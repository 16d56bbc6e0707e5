"""The `/v1` backend satisfies the broker port: Broker, BrokerStream and BrokerBackend, statically and by signature."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator

import httpx
import pytest

from fxbot.backends.v1 import V1Backend, V1Broker, V1Stream
from fxbot.domain.broker import Broker, BrokerBackend, BrokerStream, InvalidArgumentError, KeyKind, StreamSettings

SECRET = "sk_test_VerySecretValue0001"


def _as_broker(client: V1Broker) -> Broker:
    return client  # mypy --strict checks this assignment


def _as_stream(stream: V1Stream) -> BrokerStream:
    return stream  # mypy --strict checks this assignment


def _as_backend(backend: V1Backend) -> BrokerBackend:
    return backend  # mypy --strict checks this assignment


def _methods(protocol: type) -> list[str]:
    return [name for name, value in vars(protocol).items()
            if callable(value) and (not name.startswith("_") or name in ("__aiter__", "__anext__"))]


@pytest.fixture
async def backend() -> AsyncIterator[V1Backend]:
    backend = V1Backend(http=httpx.AsyncClient(), base_url="http://127.0.0.1:1",
                        stream_url="ws://127.0.0.1:1/v1/stream")
    yield backend
    await backend.aclose()


@pytest.mark.parametrize(("protocol", "implementation"),
                         [(Broker, V1Broker), (BrokerStream, V1Stream), (BrokerBackend, V1Backend)])
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


async def test_runtime_protocols_and_no_secret_in_reprs(backend: V1Backend) -> None:
    assert _as_backend(backend).kind is KeyKind.V1
    client = backend.client(SECRET)
    stream = backend.stream(SECRET, StreamSettings(reconnect_min_s=0.01, reconnect_max_s=0.1))
    assert isinstance(_as_broker(client), Broker) and isinstance(_as_stream(stream), BrokerStream)
    for text in (repr(client), repr(stream), repr(backend)):
        assert SECRET not in text
    assert not stream.connected
    await stream.close()


@pytest.mark.parametrize("secret", ["", "sk_test_with space", "sk_test_ünïcode"])
async def test_a_key_no_header_can_carry_is_refused_with_a_port_error(backend: V1Backend, secret: str) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        backend.client(secret)
    assert secret not in info.value.message or not secret
    with pytest.raises(InvalidArgumentError):
        backend.stream(secret)


async def test_invalid_arguments_leave_as_port_errors(backend: V1Backend) -> None:
    client = backend.client(SECRET)
    with pytest.raises(InvalidArgumentError, match="non-empty"):
        await client.get_quote("  ")
    stream = backend.stream(SECRET)
    with pytest.raises(InvalidArgumentError, match="at least one symbol"):
        await stream.subscribe_quotes([])
    await stream.close()
