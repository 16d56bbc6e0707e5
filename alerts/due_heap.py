"""When each holding `repeat` rule of a book is next due: a heap with lazy deletion."""

from __future__ import annotations

import heapq


class DueHeap:
    """When each holding `repeat` rule is next due: a heap with lazy deletion, O(log n) per change.

    `due` maps slot -> due time (the truth); the heap may hold stale (time, slot) pairs, skipped
    when they reach the top. It is rebuilt from `due` when stale pairs outnumber live ones.
    """

    __slots__ = ("_heap", "due")

    def __init__(self) -> None:
        self.due: dict[int, float] = {}
        self._heap: list[tuple[float, int]] = []

    def __contains__(self, slot: int) -> bool:
        return slot in self.due

    def __len__(self) -> int:
        return len(self.due)

    def set(self, slot: int, when: float) -> None:
        self.due[slot] = when
        heapq.heappush(self._heap, (when, slot))
        if len(self._heap) > 2 * len(self.due) + 64:
            self._heap = [(when, slot) for slot, when in self.due.items()]
            heapq.heapify(self._heap)

    def pop(self, slot: int) -> float | None:
        """Stop tracking a slot; its due time, None when it was not tracked."""
        return self.due.pop(slot, None)

    def next_due(self) -> float:
        """The earliest due time (inf when none)."""
        heap, due = self._heap, self.due
        while heap:
            when, slot = heap[0]
            if due.get(slot) == when:
                return when
            heapq.heappop(heap)
        return float("inf")

    def take_due(self, now: float) -> list[int]:
        """The slots due by `now`, earliest first (ties by slot); they stay tracked until set or popped."""
        heap, due = self._heap, self.due
        found: list[tuple[float, int]] = []
        seen: set[int] = set()
        while heap and heap[0][0] <= now:
            when, slot = heapq.heappop(heap)
            if due.get(slot) == when and slot not in seen:
                seen.add(slot)
                found.append((when, slot))
        for item in found:
            heapq.heappush(heap, item)  # still tracked: the caller sets a new time or pops it
        return [slot for _, slot in found]
