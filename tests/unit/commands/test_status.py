"""The /status reply: durations, the FxSocket line and the stream line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fxbot.chat.types import ReplyKind
from fxbot.commands.status import status_reply, stream_line
from fxbot.domain.formatting import format_duration
from fxbot.services.health import FxSocketHealth, HealthReport, StreamHealth

AT = datetime(2026, 4, 2, 14, 30, tzinfo=UTC)


@pytest.mark.parametrize(("span", "text"), [
    (timedelta(seconds=45), "45s"), (timedelta(minutes=3, seconds=2), "3m 2s"), (timedelta(hours=2), "2h 0m"),
    (timedelta(days=3, hours=4, minutes=5), "3d 4h 5m"), (timedelta(seconds=-5), "0s"),
])
def test_format_duration(span: timedelta, text: str) -> None:
    assert format_duration(span) == text


def test_stream_lines() -> None:
    assert stream_line(None, "UTC") == "stream: not running"
    line = stream_line(StreamHealth(connected=False, since=AT, reconnects=1, detail="retrying"), "UTC")
    assert line == "stream: disconnected, since 2026-04-02 14:30 UTC, 1 reconnects, retrying"


def test_status_reply_kinds() -> None:
    good = HealthReport(started_at=AT, uptime=timedelta(minutes=5), database_ok=True, stream=None,
                        fxsocket=FxSocketHealth(True, 12.3, "reachable, key 'main' accepted"))
    reply = status_reply(good, "UTC")
    assert reply.kind is ReplyKind.INFO
    assert reply.text == ("up 5m 0s (since 2026-04-02 14:30 UTC)", "FxSocket: reachable, key 'main' accepted in 12 ms",
                          "database: ok", "stream: not running")
    down = HealthReport(started_at=AT, uptime=timedelta(0), database_ok=True, stream=None,
                        fxsocket=FxSocketHealth(False, None, "not reachable (connection_failed)"))
    assert status_reply(down, "UTC").kind is ReplyKind.WARNING
