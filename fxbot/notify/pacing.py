"""Pure pacing maths: when the next message to a chat may go out under the platform's rate limits."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

MonotonicClock = Callable[[], float]
"""Seconds on a monotonic scale (time.monotonic in production, a fake in tests)."""

GROUP_WINDOW_S = 60.0
GLOBAL_WINDOW_S = 1.0
PRUNE_INTERVAL_S = GROUP_WINDOW_S
"""How often (at most) `record_send` drops the state of chats that no longer constrain anything."""


@dataclass(frozen=True, slots=True)
class PacingLimits:
    """One platform's limits; None switches a limit off.

    - per chat: `per_chat_rate` messages/s on average with bursts of `per_chat_burst`
      (in any window of T seconds at most burst + rate*T messages);
    - per group chat: at most `group_per_minute` messages in any 60 s window;
    - overall: at most `global_per_second` messages in any 1 s window.
    """

    per_chat_rate: float | None = 1.0
    per_chat_burst: int = 3
    group_per_minute: int | None = 20
    global_per_second: int | None = 25

    def __post_init__(self) -> None:
        rate = self.per_chat_rate
        if rate is not None and (not math.isfinite(rate) or rate <= 0):
            raise ValueError(f"per_chat_rate must be a positive number or None, got {rate!r}")
        if self.per_chat_burst < 1:
            raise ValueError(f"per_chat_burst must be at least 1, got {self.per_chat_burst!r}")
        for name in ("group_per_minute", "global_per_second"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} must be at least 1 or None, got {value!r}")

    @classmethod
    def unlimited(cls) -> PacingLimits:
        """No pacing at all (the console)."""
        return cls(per_chat_rate=None, per_chat_burst=1, group_per_minute=None, global_per_second=None)


DEFAULT_LIMITS = PacingLimits()
"""The conservative pacing of a platform whose plugin declares none (each plugin declares its own limits
in its PlatformFacts; these are typical chat-platform limits with a margin: 1/s per chat, 20/min per group)."""


@dataclass(slots=True)
class _ChatState:
    tat: float = -math.inf  # GCRA theoretical arrival time
    group_sends: deque[float] = field(default_factory=deque)
    blocked_until: float = -math.inf


@dataclass(slots=True)
class _PlatformState:
    limits: PacingLimits
    sends: deque[float] = field(default_factory=deque)
    blocked_until: float = -math.inf
    chats: dict[str, _ChatState] = field(default_factory=dict)


class Pacer:
    """Tracks sends per platform and chat and answers "when may the next message go to this chat?".

    Per-chat bursts use GCRA (a token bucket without floating refills); group and global limits use
    sliding windows of send times. `retry_after` blocks a chat, or a whole platform, for a while.
    Nothing here sleeps: the caller asks `ready_at`, waits, then calls `record_send`. Memory stays
    bounded by the chats active in the last minute: `record_send` forgets idle chats every
    PRUNE_INTERVAL_S (a long-running bot talks to ever more chats, and may never be idle).
    """

    def __init__(
        self,
        clock: MonotonicClock,
        limits: Mapping[str, PacingLimits] | None = None,
        *,
        default: PacingLimits = DEFAULT_LIMITS,
    ) -> None:
        self._clock = clock
        self._limits = dict(limits or {})
        self._default = default
        self._platforms: dict[str, _PlatformState] = {}
        self._pruned_at = clock()

    @property
    def tracked_chats(self) -> int:
        """How many chats' pacing state is kept (for tests and health checks)."""
        return sum(len(state.chats) for state in self._platforms.values())

    def limits_for(self, platform: str) -> PacingLimits:
        return self._limits.get(platform, self._default)

    def ready_at(self, platform: str, chat_id: str, *, group: bool, reserved: int = 0) -> float:
        """The earliest monotonic time a message to this chat is allowed (<= now: send now; may be past).

        `reserved` counts sends of this platform already admitted but not yet recorded (their
        tasks have not started): they take a place in the global window; inf when they fill it.
        """
        now = self._clock()
        state = self._platform(platform)
        chat = state.chats.get(chat_id)
        limits = state.limits
        self._expire(state, chat, now)
        earliest = state.blocked_until
        if limits.global_per_second is not None:
            room = limits.global_per_second - reserved
            if room <= 0:
                return math.inf
            if len(state.sends) >= room:
                earliest = max(earliest, state.sends[-room] + GLOBAL_WINDOW_S)
        if chat is None:
            return earliest
        earliest = max(earliest, chat.blocked_until)
        if limits.per_chat_rate is not None:
            earliest = max(earliest, chat.tat - self._tolerance(limits))
        if group and limits.group_per_minute is not None and len(chat.group_sends) >= limits.group_per_minute:
            earliest = max(earliest, chat.group_sends[-limits.group_per_minute] + GROUP_WINDOW_S)
        return earliest

    def can_send(self, platform: str, chat_id: str, *, group: bool) -> bool:
        return self.ready_at(platform, chat_id, group=group) <= self._clock()

    def record_send(self, platform: str, chat_id: str, *, group: bool) -> None:
        """Count a message sent now (call only when can_send said yes)."""
        now = self._clock()
        state = self._platform(platform)
        chat = state.chats.setdefault(chat_id, _ChatState())
        limits = state.limits
        if limits.global_per_second is not None:
            state.sends.append(now)
        if limits.per_chat_rate is not None:
            chat.tat = max(chat.tat, now) + 1.0 / limits.per_chat_rate
        if group and limits.group_per_minute is not None:
            chat.group_sends.append(now)
        self._expire(state, chat, now)
        if now - self._pruned_at >= PRUNE_INTERVAL_S:
            self.forget_idle()

    def retry_after(self, platform: str, chat_id: str | None, seconds: float) -> None:
        """The platform said wait: block this chat (or, with chat_id None, the platform) for `seconds`."""
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"retry-after must be finite and >= 0, got {seconds!r}")
        until = self._clock() + seconds
        state = self._platform(platform)
        if chat_id is None:
            state.blocked_until = max(state.blocked_until, until)
            return
        chat = state.chats.setdefault(chat_id, _ChatState())
        chat.blocked_until = max(chat.blocked_until, until)

    def forget_idle(self) -> int:
        """Drop the state of chats that no longer constrain anything (bounded memory); returns how many."""
        now = self._clock()
        self._pruned_at = now
        dropped = 0
        for state in self._platforms.values():
            for chat_id, chat in list(state.chats.items()):
                self._expire(state, chat, now)
                if chat.tat <= now and not chat.group_sends and chat.blocked_until <= now:
                    del state.chats[chat_id]
                    dropped += 1
        return dropped

    def _platform(self, platform: str) -> _PlatformState:
        state = self._platforms.get(platform)
        if state is None:
            state = self._platforms[platform] = _PlatformState(self.limits_for(platform))
        return state

    @staticmethod
    def _tolerance(limits: PacingLimits) -> float:
        assert limits.per_chat_rate is not None
        return (limits.per_chat_burst - 1) / limits.per_chat_rate

    @staticmethod
    def _expire(state: _PlatformState, chat: _ChatState | None, now: float) -> None:
        while state.sends and state.sends[0] + GLOBAL_WINDOW_S <= now:
            state.sends.popleft()
        if chat is not None:
            while chat.group_sends and chat.group_sends[0] + GROUP_WINDOW_S <= now:
                chat.group_sends.popleft()
