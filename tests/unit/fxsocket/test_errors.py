"""Error answers map to the right typed errors, with codes, statuses and Retry-After."""

from __future__ import annotations

import pytest

from fxbot.fxsocket.errors import (
    ApiError,
    BadRequestError,
    ForbiddenError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
    ServerError,
    UnauthorizedError,
    error_from_response,
    parse_retry_after,
)


@pytest.mark.parametrize(("status", "code", "cls"), [
    (400, "invalid_volume", BadRequestError), (400, "insufficient_margin", BadRequestError),
    (401, "unauthorized", UnauthorizedError), (403, "forbidden", ForbiddenError),
    (404, "not_found", NotFoundError), (500, "internal_error", ServerError),
    (503, "internal_error", ServerError),
])
def test_error_body_maps_to_class(status: int, code: str, cls: type[ApiError]) -> None:
    error = error_from_response(status, f'{{"error": "{code}", "message": "Volume is bad."}}'.encode())
    assert type(error) is cls
    assert (error.code, error.message, error.status) == (code, "Volume is bad.", status)


def test_rate_limited_reads_retry_after() -> None:
    error = error_from_response(429, b'{"error":"rate_limited","message":"slow down"}', retry_after="3")
    assert isinstance(error, RateLimitedError) and error.retry_after == 3.0


def test_non_json_body_still_gives_a_typed_error() -> None:
    error = error_from_response(502, b"<html>Bad gateway</html>")
    assert isinstance(error, ServerError) and error.code == "internal_error" and "502" in error.message
    odd = error_from_response(418, b"[]")
    assert type(odd) is ApiError and odd.code == "http_418"


@pytest.mark.parametrize(("value", "expected"), [(None, 1.0), ("2", 2.0), (" 1.5 ", 1.5), ("soon", 1.0),
                                                 ("-4", 1.0), ("nan", 1.0)])
def test_parse_retry_after(value: str | None, expected: float) -> None:
    assert parse_retry_after(value) == expected


def test_outcome_unknown_message_warns_against_blind_retry() -> None:
    error = OutcomeUnknownError("timed out", method="POST", path="/v1/orders")
    assert "may or may not have taken effect" in error.message
    assert "do not retry blindly" in error.message
    assert (error.method, error.path, error.code) == ("POST", "/v1/orders", "outcome_unknown")


@pytest.mark.parametrize("bad", ["", "sk_test_😀", "sk_test_a b", "sk_test_\x00x", "sk_live_ñandú"])
def test_a_key_no_header_can_carry_is_refused_before_sending(bad: str) -> None:
    import httpx

    from fxbot.fxsocket.client import FxSocketClient
    from fxbot.fxsocket.errors import InvalidArgumentError
    from fxbot.fxsocket.stream import FxSocketStream

    with pytest.raises(InvalidArgumentError) as caught:
        FxSocketClient(httpx.AsyncClient(), api_key=bad, base_url="http://127.0.0.1:9")
    assert bad == "" or bad not in str(caught.value)
    with pytest.raises(InvalidArgumentError):
        FxSocketStream(url="ws://127.0.0.1:9/v1/stream", api_key=bad)
