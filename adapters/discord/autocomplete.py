"""Autocomplete values: the chat's symbols (cached per chat) or any list, matched to what was typed, ≤ 25."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable, Sequence

MAX_RESULTS = 25

SymbolSource = Callable[[str], Awaitable[Sequence[str]]]


class Completer:
    """Answers autocomplete quickly: each chat's symbol list is fetched once per `ttl_s` and reused."""

    def __init__(self, source: SymbolSource, *, ttl_s: float = 300.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._source = source
        self._ttl = ttl_s
        self._clock = clock
        self._cache: dict[str, tuple[float, tuple[str, ...]]] = {}

    async def chat_symbols(self, chat_id: str) -> tuple[str, ...]:
        now = self._clock()
        cached = self._cache.get(chat_id)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        symbols = tuple(dict.fromkeys(s.upper() for s in await self._source(chat_id)))
        self._cache[chat_id] = (now, symbols)
        return symbols

    async def symbols(self, chat_id: str, current: str, *, multiple: bool = False) -> list[str]:
        """Symbols matching what was typed; with `multiple`, the last word is completed and the earlier
        words are kept ("EURUSD gb" -> "EURUSD GBPUSD")."""
        known = await self.chat_symbols(chat_id)
        if not multiple:
            return self.match(known, current)
        words = current.replace(",", " ").split()
        if current[-1:].isspace() or not words:
            head, last = words, ""
        else:
            head, last = words[:-1], words[-1]
        prefix = " ".join(w.upper() for w in head)
        chosen = {w.upper() for w in head}
        return [f"{prefix} {s}".strip() for s in self.match([s for s in known if s not in chosen], last)]

    @staticmethod
    def match(values: Iterable[str], current: str) -> list[str]:
        """Values starting with `current` (any case) first, then those containing it; at most 25."""
        wanted = current.strip().upper().replace("/", "")
        items = list(values)
        starts = [v for v in items if v.upper().startswith(wanted)]
        contains = [v for v in items if wanted and wanted in v.upper() and v not in starts]
        return (starts + contains)[:MAX_RESULTS]
