"""Reading webhook bodies: command lines (the slash optional, TradingView tickers mapped), JSON with id and secret,
and every malformed body refused with its reason; the rate limiter's sliding window."""

from __future__ import annotations

import pytest

from fxbot.webhooks.body import MAX_LINES, MalformedBody, map_symbols, parse_body
from fxbot.webhooks.rate import RateLimiter


@pytest.mark.parametrize(("line", "mapped"), [
    ("buy FX:EURUSD 0.1", "buy EURUSD 0.1"),
    ("sell OANDA:XAUUSD 0.2 sl=20p", "sell XAUUSD 0.2 sl=20p"),
    ("buy FX_IDC:gbpusd 0.1", "buy GBPUSD 0.1"),
    ("buy EURUSD 0.1 tp=1.0950", "buy EURUSD 0.1 tp=1.0950"),
    ("alert EURUSD above 1.09 until 2026-05-01 10:00", "alert EURUSD above 1.09 until 2026-05-01 10:00"),
])
def test_tradingview_tickers_become_ours(line: str, mapped: str) -> None:
    assert map_symbols(line) == mapped


def test_plain_lines_become_commands_in_order() -> None:
    body = parse_body(b"buy FX:EURUSD 0.1 sl=20p\n\n  /close GBPUSD  \r\n")
    assert body.commands == ("/buy EURUSD 0.1 sl=20p", "/close GBPUSD") and body.request_id is None


def test_json_carries_the_id_and_the_secret() -> None:
    body = parse_body(b'{"command": "sell OANDA:XAUUSD 0.1", "id": 42, "secret": "s3"}')
    assert body.commands == ("/sell XAUUSD 0.1",) and body.request_id == "42" and body.secret == "s3"


@pytest.mark.parametrize(("raw", "reason"), [
    (b"   \n", "no command"),
    (b'{"command": "buy EURUSD 0.1", "id": ""}', '"id" must be'),
    (b'{"command": "buy EURUSD 0.1", "secret": 5}', '"secret" must be'),
    (b'{"cmd": "buy"}', "unknown JSON field"),
    (b"{", "invalid JSON"),
    (b"\xff", "UTF-8"),
    (("buy EURUSD 0.1\n" * (MAX_LINES + 1)).encode(), "at most"),
    (b"buy " + b"x" * 400, "longer than"),
])
def test_malformed_bodies_say_why(raw: bytes, reason: str) -> None:
    with pytest.raises(MalformedBody, match=reason):
        parse_body(raw)


def test_the_rate_limiter_is_a_sliding_window() -> None:
    now = [0.0]
    limiter = RateLimiter(2, 60.0, lambda: now[0])
    assert limiter.admit(1) and limiter.admit(1) and not limiter.admit(1)
    assert limiter.admit(2)  # per endpoint
    now[0] = 59.9
    assert not limiter.admit(1)
    now[0] = 60.0
    assert limiter.admit(1)
