"""Injected faults of the simulator (failures, latency, forced 429s, dropped streams) and their parsing."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fxbot.simulator.errors import SimError

ACCOUNT_STATUSES = ("connected", "connecting", "disconnected")
_FAULT_KEYS = (
    "drop_streams",
    "fail_next",
    "fail_after_next",
    "latency_ms",
    "rate_limit_for_s",
    "account_status",
)
MAX_LATENCY_MS = 120_000
MAX_RATE_LIMIT_S = 3_600


@dataclass(slots=True)
class FaultRequest:
    """A validated POST /_sim/faults body: only the keys that were present are set."""

    clear: bool = False
    drop_streams: bool = False
    fail_next: int | None = None
    fail_after_next: int | None = None
    latency_ms: float | None = None
    rate_limit_for_s: float | None = None
    account_status: dict[str, str] = field(default_factory=dict)


class Faults:
    """The faults currently armed; REST requests consult it through the /v1 gate."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.fail_next = 0
        self.fail_after_next = 0
        self.latency_ms = 0.0
        self._rate_limited_until = 0.0

    def clear(self) -> None:
        self.fail_next = 0
        self.fail_after_next = 0
        self.latency_ms = 0.0
        self._rate_limited_until = 0.0

    def apply(self, request: FaultRequest) -> None:
        """Arm the faults of a validated request (the caller handles account statuses and stream drops)."""
        if request.clear:
            self.clear()
            return
        if request.fail_next is not None:
            self.fail_next = request.fail_next
        if request.fail_after_next is not None:
            self.fail_after_next = request.fail_after_next
        if request.latency_ms is not None:
            self.latency_ms = request.latency_ms
        if request.rate_limit_for_s is not None:
            self._rate_limited_until = (
                self._clock() + request.rate_limit_for_s if request.rate_limit_for_s else 0.0
            )

    def forced_retry_after(self) -> int | None:
        """Whole seconds (>= 1) left of a forced rate limit, or None when none is armed."""
        left = self._rate_limited_until - self._clock()
        if left <= 0:
            return None
        return max(1, math.ceil(left))

    def take_fail_before(self) -> bool:
        """Consume one 'fail without executing' if armed."""
        if self.fail_next > 0:
            self.fail_next -= 1
            return True
        return False

    def take_fail_after(self) -> bool:
        """Consume one 'execute, then answer 500' if armed."""
        if self.fail_after_next > 0:
            self.fail_after_next -= 1
            return True
        return False

    def snapshot(self) -> dict[str, Any]:
        left = max(0.0, self._rate_limited_until - self._clock())
        return {
            "fail_next": self.fail_next,
            "fail_after_next": self.fail_after_next,
            "latency_ms": self.latency_ms,
            "rate_limit_for_s": round(left, 3),
        }


def _bad(message: str) -> SimError:
    return SimError(400, "bad_request", message)


def _count(body: Mapping[str, Any], name: str) -> int | None:
    if name not in body:
        return None
    value = body[name]
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _bad(f"'{name}' must be a whole number >= 0")
    return value


def _amount(body: Mapping[str, Any], name: str, maximum: float) -> float | None:
    if name not in body:
        return None
    value = body[name]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _bad(f"'{name}' must be a number")
    if not 0 <= value <= maximum:
        raise _bad(f"'{name}' must be between 0 and {maximum:g}")
    return float(value)


def parse_fault_request(body: Mapping[str, Any], account_ids: list[str]) -> FaultRequest:
    """Validate a /_sim/faults body completely before anything is applied."""
    unknown = sorted(set(body) - set(_FAULT_KEYS))
    if unknown:
        raise _bad(f"unknown fault {unknown[0]!r}; known faults: {', '.join(_FAULT_KEYS)}")
    if not body:
        return FaultRequest(clear=True)
    request = FaultRequest()
    if "drop_streams" in body:
        if not isinstance(body["drop_streams"], bool):
            raise _bad("'drop_streams' must be true or false")
        request.drop_streams = body["drop_streams"]
    request.fail_next = _count(body, "fail_next")
    request.fail_after_next = _count(body, "fail_after_next")
    request.latency_ms = _amount(body, "latency_ms", MAX_LATENCY_MS)
    request.rate_limit_for_s = _amount(body, "rate_limit_for_s", MAX_RATE_LIMIT_S)
    if "account_status" in body:
        statuses = body["account_status"]
        if not isinstance(statuses, dict):
            raise _bad('\'account_status\' must be an object like {"acc_…": "disconnected"}')
        for account_id, status in statuses.items():
            if account_id not in account_ids:
                raise SimError(404, "not_found", f"account {account_id!r} not found")
            if status not in ACCOUNT_STATUSES:
                raise _bad(f"account status must be one of {', '.join(ACCOUNT_STATUSES)}, not {status!r}")
        request.account_status = dict(statuses)
    return request
