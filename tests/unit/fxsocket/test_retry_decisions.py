"""Retry decisions of the REST transport for failures the simulator cannot produce.

These tests use `httpx.MockTransport` ONLY for cases the real simulator cannot stage: a timeout or a
connection reset in the middle of a write, a connect error, unreadable or off-contract bodies. Every
behaviour the simulator can produce (429, fail_next, fail_after_next, error codes) is tested against
the real simulator in tests/integration/test_client_*.py.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from fxbot.fxsocket.client import FxSocketClient
from fxbot.fxsocket.errors import (
    ConnectionFailedError,
    InvalidArgumentError,
    OutcomeUnknownError,
    ServerError,
    UnexpectedResponseError,
)
from fxbot.fxsocket.models import OrderChanges, OrderRequest, OrderType
from fxbot.fxsocket.pacing import RequestPacer

KEY = "sk_test_SECRET_do_not_leak_123"
QUOTE = {"symbol": "EURUSD", "bid": 1.1, "ask": 1.1002, "spread": 0.2, "time": "2026-04-02T14:30:00.123Z"}
ORDER = OrderRequest(symbol="EURUSD", type=OrderType.BUY, volume=0.1)

Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """A MockTransport handler that replays a script of outcomes and records every request it saw."""

    def __init__(self, *outcomes: httpx.Response | Exception) -> None:
        self.outcomes = list(outcomes)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        outcome = self.outcomes.pop(0) if len(self.outcomes) > 1 else self.outcomes[0]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def make_client(handler: Handler) -> FxSocketClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return FxSocketClient(http, api_key=KEY, base_url="http://fxsocket.test", backoff_base_s=0.0,
                          pacer=RequestPacer(10**6))


async def test_timeout_mid_post_is_outcome_unknown_and_not_resent() -> None:
    recorder = Recorder(httpx.ReadTimeout("read timed out"))
    with pytest.raises(OutcomeUnknownError) as info:
        await make_client(recorder).place_order(ORDER)
    assert len(recorder.requests) == 1
    assert (info.value.method, info.value.path) == ("POST", "/v1/orders")
    assert KEY not in str(info.value) and KEY not in repr(info.value)


@pytest.mark.parametrize("failure", [httpx.RemoteProtocolError("Server disconnected"),
                                     httpx.ReadError("connection reset by peer"),
                                     httpx.WriteError("broken pipe")])
async def test_connection_lost_mid_write_is_outcome_unknown(failure: Exception) -> None:
    recorder = Recorder(failure)
    client = make_client(recorder)
    with pytest.raises(OutcomeUnknownError):
        await client.close_order("ord_1")
    with pytest.raises(OutcomeUnknownError):
        await client.modify_order("ord_1", OrderChanges(sl=None))
    assert [r.method for r in recorder.requests] == ["DELETE", "PATCH"]


async def test_connect_error_on_write_is_not_sent_and_not_retried() -> None:
    recorder = Recorder(httpx.ConnectError("connection refused"))
    with pytest.raises(ConnectionFailedError, match="nothing was sent"):
        await make_client(recorder).place_order(ORDER)
    assert len(recorder.requests) == 1


async def test_get_retries_timeouts_then_succeeds() -> None:
    recorder = Recorder(httpx.ReadTimeout("t"), httpx.ConnectError("refused"),
                        httpx.Response(200, json=QUOTE))
    quote = await make_client(recorder).get_quote("EURUSD")
    assert quote.bid == 1.1 and len(recorder.requests) == 3


async def test_get_gives_up_after_retries() -> None:
    recorder = Recorder(httpx.ConnectError("refused"))
    with pytest.raises(ConnectionFailedError):
        await make_client(recorder).get_account()
    assert len(recorder.requests) == 4  # 1 + get_retries (3)


async def test_get_5xx_exhausted_is_server_error() -> None:
    recorder = Recorder(httpx.Response(502, text="bad gateway"))
    with pytest.raises(ServerError):
        await make_client(recorder).get_positions()
    assert len(recorder.requests) == 4


async def test_unreadable_2xx_on_write_is_outcome_unknown() -> None:
    recorder = Recorder(httpx.Response(201, text="<html>ok</html>"))
    with pytest.raises(OutcomeUnknownError):
        await make_client(recorder).place_order(ORDER)
    assert len(recorder.requests) == 1


async def test_off_contract_get_answer_is_unexpected_response() -> None:
    recorder = Recorder(httpx.Response(200, json={"symbol": "EURUSD"}))
    with pytest.raises(UnexpectedResponseError):
        await make_client(recorder).get_quote("EURUSD")
    assert len(recorder.requests) == 1


async def test_requests_carry_bearer_key_and_encoded_paths() -> None:
    recorder = Recorder(httpx.Response(200, json=QUOTE))
    client = make_client(recorder)
    await client.get_quote("EUR/USD", account_id="acc_2")
    request = recorder.requests[0]
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert request.url.raw_path == b"/v1/quotes/EUR%2FUSD?account_id=acc_2"
    assert KEY not in repr(client)


async def test_bad_arguments_send_nothing() -> None:
    recorder = Recorder(httpx.Response(200, json={}))
    client = make_client(recorder)
    for call in (client.get_quote(""), client.get_quote(".."), client.close_order("ord_1", volume=0),
                 client.modify_order("ord_1", OrderChanges())):
        with pytest.raises(InvalidArgumentError):
            await call
    assert recorder.requests == []


def test_base_url_with_or_without_v1() -> None:
    http = httpx.AsyncClient()
    for base in ("http://h:1", "http://h:1/", "http://h:1/v1", "http://h:1/v1/"):
        assert repr(FxSocketClient(http, api_key=KEY, base_url=base)) == "FxSocketClient(base_url='http://h:1')"
    with pytest.raises(ValueError, match="http"):
        FxSocketClient(http, api_key=KEY, base_url="ftp://h")
