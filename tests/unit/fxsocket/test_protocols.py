"""FxSocketClient and FxSocketStream satisfy Broker / BrokerStream (statically and by signature)."""

from __future__ import annotations

import inspect

import httpx
import pytest

from fxbot.fxsocket.broker import Broker, BrokerStream
from fxbot.fxsocket.client import FxSocketClient
from fxbot.fxsocket.stream import FxSocketStream


def _as_broker(client: FxSocketClient) -> Broker:
    return client  # mypy --strict checks this assignment


def _as_stream(stream: FxSocketStream) -> BrokerStream:
    return stream  # mypy --strict checks this assignment


def _methods(protocol: type) -> list[str]:
    return [name for name, value in vars(protocol).items()
            if callable(value) and (not name.startswith("_") or name in ("__aiter__", "__anext__"))]


@pytest.mark.parametrize(("protocol", "implementation"),
                         [(Broker, FxSocketClient), (BrokerStream, FxSocketStream)])
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


async def test_runtime_isinstance() -> None:
    async with httpx.AsyncClient() as http:
        client = FxSocketClient(http, api_key="sk_test_x", base_url="http://127.0.0.1:1")
        assert isinstance(_as_broker(client), Broker)
    stream = FxSocketStream(url="ws://127.0.0.1:1/v1/stream", api_key="sk_test_x")
    assert isinstance(_as_stream(stream), BrokerStream)
    assert "sk_test_x" not in repr(stream) and "sk_test_x" not in repr(client)
