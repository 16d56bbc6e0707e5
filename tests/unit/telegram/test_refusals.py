"""The "this bot is private" memory stays bounded: least recently refused forgotten first, and it expires."""

from __future__ import annotations

import pytest

from fxbot.adapters.telegram.refusals import RefusalMemory
from tests.fakes.clocks import ManualClock


def test_each_user_is_told_once_within_the_period() -> None:
    clock = ManualClock()
    memory = RefusalMemory(remember_s=3600, clock=clock)
    assert memory.first_time(1) and not memory.first_time(1)
    clock.advance(3599)
    assert not memory.first_time(1)
    clock.advance(1)
    assert memory.first_time(1)  # a day later (here: an hour) they are told again


def test_it_never_grows_past_its_bound() -> None:
    memory = RefusalMemory(max_size=100, clock=ManualClock())
    for user_id in range(100_000):
        assert memory.first_time(user_id)
    assert len(memory) == 100
    assert not memory.first_time(99_999) and memory.first_time(0)  # the oldest were forgotten


def test_expired_entries_are_dropped_without_being_asked_about() -> None:
    clock = ManualClock()
    memory = RefusalMemory(remember_s=10, clock=clock)
    for user_id in range(50):
        memory.first_time(user_id)
    clock.advance(11)
    memory.first_time(1000)
    assert len(memory) == 1


def test_bad_bounds_are_refused() -> None:
    with pytest.raises(ValueError, match="max_size"):
        RefusalMemory(max_size=0)
