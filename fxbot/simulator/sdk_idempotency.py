"""`Idempotency-Key` memory of the SDK face's batch endpoints: 15-minute replay, in-flight and reuse refusals."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fxbot.simulator.sdk_errors import SdkError

TTL_S = 15 * 60
MAX_KEY_LENGTH = 128


@dataclass(slots=True)
class _Entry:
    fingerprint: str
    expires: float
    answer: dict[str, Any] | None = None  # None while the batch runs


def fingerprint(path: str, body: Any) -> str:
    """A digest of what was asked (the endpoint and the JSON body, key order ignored)."""
    text = json.dumps([path, body], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


class IdempotencyStore:
    """Answers of keyed batches, per API key, remembered for 15 minutes."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._entries: dict[tuple[str, str], _Entry] = {}

    def __repr__(self) -> str:
        return f"IdempotencyStore(<{len(self._entries)} keys>)"

    def begin(self, owner: str, key: str, digest: str) -> dict[str, Any] | None:
        """The stored answer when this is a replay; None when the batch is new (it is then in flight).

        Raises 409 idempotency_in_flight or 422 idempotency_key_reused; nothing must run then.
        """
        if not key or len(key) > MAX_KEY_LENGTH:
            raise SdkError(400, "invalid_batch", f"Idempotency-Key must be 1-{MAX_KEY_LENGTH} characters")
        now = self._clock()
        self._entries = {slot: entry for slot, entry in self._entries.items() if entry.expires > now}
        entry = self._entries.get((owner, key))
        if entry is None:
            self._entries[(owner, key)] = _Entry(digest, now + TTL_S)
            return None
        if entry.fingerprint != digest:
            raise SdkError(
                422, "idempotency_key_reused", "this Idempotency-Key was used with a different request body"
            )
        if entry.answer is None:
            raise SdkError(409, "idempotency_in_flight", "a batch with this Idempotency-Key is still running")
        return {**entry.answer, "idempotent_replay": True}

    def finish(self, owner: str, key: str, answer: dict[str, Any]) -> None:
        entry = self._entries.get((owner, key))
        if entry is not None:
            entry.answer = answer

    def abandon(self, owner: str, key: str) -> None:
        """Forget a key whose batch was refused before anything ran."""
        self._entries.pop((owner, key), None)
