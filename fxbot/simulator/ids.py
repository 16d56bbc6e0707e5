"""Short, random-looking but deterministic ids (ord_…, pos_…, trd_…) derived from the seed and a counter.

One IdMaker lives as long as the simulator: a reset (a fresh engine) keeps counting, so an id is never
issued twice by one simulator — a bot that saw `ord_X` before the reset must not mistake a new order for it.
The simulator also mixes its start time in (`epoch`), so a restarted `fxbot sim --seed N` does not hand
out the previous run's ids either (a bot keeps its database across simulator restarts).
"""

from __future__ import annotations

import hashlib

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


class IdMaker:
    """Hands out unique ids per prefix; the same seed and epoch give the same sequence."""

    def __init__(self, seed: int, epoch: str = "") -> None:
        self._seed = f"{seed}:{epoch}" if epoch else str(seed)
        self._counters: dict[str, int] = {}
        self._issued: set[str] = set()

    def next(self, prefix: str) -> str:
        while True:
            count = self._counters.get(prefix, 0) + 1
            self._counters[prefix] = count
            digest = hashlib.blake2b(f"{self._seed}:{prefix}:{count}".encode(), digest_size=8).digest()
            number = int.from_bytes(digest, "big")
            chars = []
            for _ in range(10):
                number, rest = divmod(number, 62)
                chars.append(_ALPHABET[rest])
            candidate = f"{prefix}_{''.join(chars)}"
            if candidate not in self._issued:
                self._issued.add(candidate)
                return candidate
