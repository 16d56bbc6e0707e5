"""Pacing maths with a fake clock: bursts, per-chat rate, group and global windows, retry-after."""

from __future__ import annotations

import random
from collections import defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fxbot.notify.pacing import Pacer, PacingLimits
from tests.unit.notify.factories import FakeClock

EPS = 1e-9


def _pacer(limits: PacingLimits | None = None) -> tuple[Pacer, FakeClock]:
    clock = FakeClock()
    return Pacer(clock, {"telegram": limits or PacingLimits()}), clock


def test_burst_of_three_then_one_per_second() -> None:
    pacer, clock = _pacer()
    for _ in range(3):
        assert pacer.can_send("telegram", "c", group=False)
        pacer.record_send("telegram", "c", group=False)
    assert not pacer.can_send("telegram", "c", group=False)
    assert pacer.ready_at("telegram", "c", group=False) == pytest.approx(clock.now + 1.0)
    clock.advance(1.0)
    assert pacer.can_send("telegram", "c", group=False)
    pacer.record_send("telegram", "c", group=False)
    assert pacer.ready_at("telegram", "c", group=False) == pytest.approx(clock.now + 1.0)


def test_burst_refills_after_a_quiet_period() -> None:
    pacer, clock = _pacer()
    for _ in range(3):
        pacer.record_send("telegram", "c", group=False)
    clock.advance(10)
    for _ in range(3):
        assert pacer.can_send("telegram", "c", group=False)
        pacer.record_send("telegram", "c", group=False)
    assert not pacer.can_send("telegram", "c", group=False)


def test_chats_are_independent_but_share_the_global_limit() -> None:
    pacer, clock = _pacer(PacingLimits(global_per_second=5))
    for i in range(5):
        assert pacer.can_send("telegram", f"c{i}", group=False)
        pacer.record_send("telegram", f"c{i}", group=False)
    assert not pacer.can_send("telegram", "fresh", group=False)
    assert pacer.ready_at("telegram", "fresh", group=False) == pytest.approx(clock.now + 1.0)
    assert pacer.can_send("discord", "other-platform", group=False)  # platforms are separate


def test_reserved_sends_take_places_in_the_global_window() -> None:
    pacer, clock = _pacer(PacingLimits(global_per_second=3))
    pacer.record_send("telegram", "a", group=False)
    assert pacer.can_send("telegram", "b", group=False)
    assert pacer.ready_at("telegram", "b", group=False, reserved=1) <= clock.now
    assert pacer.ready_at("telegram", "b", group=False, reserved=2) == pytest.approx(clock.now + 1.0)
    assert pacer.ready_at("telegram", "b", group=False, reserved=3) == float("inf")


def test_group_is_limited_to_20_per_minute() -> None:
    pacer, clock = _pacer()
    start = clock.now
    sent: list[float] = []
    while True:
        ready = pacer.ready_at("telegram", "g", group=True)
        if ready >= start + 60.0:
            break
        clock.now = max(clock.now, ready)
        pacer.record_send("telegram", "g", group=True)
        sent.append(clock.now)
    assert len(sent) == 20
    assert sent[:3] == [start] * 3  # the burst still applies
    assert pacer.ready_at("telegram", "g", group=True) == pytest.approx(start + 60.0)
    # the same chat as a private chat is only under the per-chat rate
    assert pacer.ready_at("telegram", "g", group=False) <= clock.now + 1.0


def test_retry_after_blocks_one_chat_or_the_whole_platform() -> None:
    pacer, clock = _pacer()
    pacer.retry_after("telegram", "c", 5)
    assert pacer.ready_at("telegram", "c", group=False) == pytest.approx(clock.now + 5)
    assert pacer.can_send("telegram", "other", group=False)
    pacer.retry_after("telegram", None, 7)
    assert pacer.ready_at("telegram", "other", group=False) == pytest.approx(clock.now + 7)
    clock.advance(7)
    assert pacer.can_send("telegram", "c", group=False)
    with pytest.raises(ValueError):
        pacer.retry_after("telegram", "c", -1)


def test_unlimited_platform_never_waits() -> None:
    pacer, _ = _pacer(PacingLimits.unlimited())
    for _ in range(1000):
        assert pacer.can_send("telegram", "c", group=True)
        pacer.record_send("telegram", "c", group=True)


def test_limits_are_validated() -> None:
    with pytest.raises(ValueError):
        PacingLimits(per_chat_rate=0)
    with pytest.raises(ValueError):
        PacingLimits(per_chat_burst=0)
    with pytest.raises(ValueError):
        PacingLimits(group_per_minute=0)


def test_forget_idle_drops_quiet_chats_only() -> None:
    pacer, clock = _pacer()
    pacer.record_send("telegram", "quiet", group=False)
    clock.advance(2)
    pacer.record_send("telegram", "busy", group=True)
    assert pacer.forget_idle() == 1
    for _ in range(2):
        pacer.record_send("telegram", "busy", group=True)
    assert not pacer.can_send("telegram", "busy", group=True)  # its first send was remembered


def test_chats_gone_quiet_are_forgotten_while_sending_goes_on() -> None:
    """A bot that is never idle still forgets chats it no longer talks to (bounded memory)."""
    pacer, clock = _pacer()
    for i in range(1000):
        pacer.record_send("telegram", f"chat{i}", group=i % 2 == 0)
    assert pacer.tracked_chats == 1000
    for _ in range(3):  # one chat keeps talking, a message every 30 s
        clock.advance(30)
        pacer.record_send("telegram", "busy", group=True)
    assert pacer.tracked_chats == 1  # only the busy one is remembered


def test_ready_at_does_not_drift_with_a_moving_clock() -> None:
    ticks = [0.0]

    def ticking() -> float:  # every reading is a little later, like time.monotonic()
        ticks[0] += 1e-6
        return ticks[0]

    pacer = Pacer(ticking, {"telegram": PacingLimits()})
    before = ticking()
    assert pacer.ready_at("telegram", "new", group=True) <= before
    pacer.record_send("telegram", "new", group=True)
    assert pacer.ready_at("telegram", "new", group=True) <= ticking()


def _max_in_window(times: list[float], window: float) -> int:
    times = sorted(times)
    best = 0
    j = 0
    for i, t in enumerate(times):
        while times[j] <= t - window + EPS:
            j += 1
        best = max(best, i - j + 1)
    return best


def _simulate(pacer: Pacer, clock: FakeClock, chats: dict[str, bool], demand: int) -> dict[str, list[float]]:
    """Greedy sender: every chat wants `demand` messages; send whenever the pacer allows."""
    left = dict.fromkeys(chats, demand)
    sends: dict[str, list[float]] = defaultdict(list)
    while any(left.values()):
        for chat, group in chats.items():
            if left[chat] and pacer.can_send("telegram", chat, group=group):
                pacer.record_send("telegram", chat, group=group)
                sends[chat].append(clock.now)
                left[chat] -= 1
        waiting = [pacer.ready_at("telegram", c, group=g) for c, g in chats.items() if left[c]]
        if waiting:
            clock.now = max(clock.now, min(waiting))
    return sends


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n_chats=st.integers(1, 60), demand=st.integers(1, 30))
def test_no_window_ever_exceeds_the_limits(seed: int, n_chats: int, demand: int) -> None:
    rng = random.Random(seed)
    chats = {f"c{i}": rng.random() < 0.5 for i in range(n_chats)}
    pacer, clock = _pacer()
    sends = _simulate(pacer, clock, chats, demand)
    everything = [t for times in sends.values() for t in times]
    assert len(everything) == n_chats * demand
    assert _max_in_window(everything, 1.0) <= 25
    for chat, times in sends.items():
        # token bucket: at most burst + rate*T in any window of T seconds
        for window in (1.0, 2.0, 5.0):
            assert _max_in_window(times, window) <= 3 + window
        if chats[chat]:
            assert _max_in_window(times, 60.0) <= 20


def test_greedy_sender_uses_the_full_allowance() -> None:
    pacer, clock = _pacer()
    start = clock.now
    sends = _simulate(pacer, clock, {"p": False}, 13)
    # 3 at once, then one per second
    assert sends["p"][:3] == [start] * 3
    assert sends["p"][-1] == pytest.approx(start + 10)
