"""The watchdog's incident book: opened once past its threshold, recovered once with its duration, and a
condition that ends before its threshold is never told."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fxbot.watchdog.incidents import IncidentBook, Opened, Recovered, duration_text

T0 = datetime(2026, 4, 2, 12, 0, tzinfo=UTC)


def test_opened_once_past_the_threshold_then_recovered_once() -> None:
    book = IncidentBook()
    assert book.observe("rest:1", "rest", "REST failing", bad=True, at=T0, after_s=60) is None
    assert book.healthy
    opened = book.observe("rest:1", "rest", "REST failing", bad=True, at=T0 + timedelta(seconds=60), after_s=60)
    assert isinstance(opened, Opened) and not book.healthy
    assert book.observe("rest:1", "rest", "REST failing", bad=True, at=T0 + timedelta(seconds=90), after_s=60) is None
    recovered = book.observe("rest:1", "rest", "REST failing", bad=False, at=T0 + timedelta(seconds=150))
    assert isinstance(recovered, Recovered) and recovered.duration == timedelta(seconds=150)
    assert book.observe("rest:1", "rest", "REST failing", bad=False, at=T0 + timedelta(seconds=160)) is None


def test_a_short_blip_is_never_told_and_since_backdates_the_start() -> None:
    book = IncidentBook()
    book.observe("stream:1", "stream", "down", bad=True, at=T0, after_s=60)
    assert book.observe("stream:1", "stream", "down", bad=False, at=T0 + timedelta(seconds=30)) is None
    opened = book.observe("stream:1", "stream", "down", bad=True, at=T0, after_s=60, since=T0 - timedelta(seconds=61))
    assert isinstance(opened, Opened) and opened.incident.first_seen == T0 - timedelta(seconds=61)
    book.forget(set())
    assert book.open == {}


def test_durations_read_naturally() -> None:
    assert [duration_text(timedelta(seconds=s)) for s in (45, 180, 7500, 200_000)] == \
        ["45 s", "3 min", "2 h 05 min", "2 d 7 h"]
