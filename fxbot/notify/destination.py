"""The notifier's in-memory view of one destination (a chat, or a thread of it): what waits and what is due."""

from __future__ import annotations

from collections.abc import Container, Iterable, ValuesView
from dataclasses import dataclass, field, replace

from fxbot.chat.types import ChatKind, ChatRef
from fxbot.notify.composer import ComposedPart, compose
from fxbot.notify.outbox import OutboxItem

DestinationKey = tuple[str, str | None]
"""(chat_id, thread_id)."""


@dataclass(slots=True)
class Destination:
    """Pending items of one chat/thread, the message batch being sent, and the retry backoff."""

    chat: ChatRef
    items: dict[int, OutboxItem] = field(default_factory=dict)
    seen_at: dict[int, float] = field(default_factory=dict)  # monotonic time each item was loaded
    attempts: dict[int, int] = field(default_factory=dict)
    batch: list[ComposedPart] = field(default_factory=list)
    critical_count: int = 0
    in_flight: bool = False
    failures: int = 0
    next_attempt: float = 0.0

    @property
    def chat_id(self) -> str:
        return self.chat.id

    @property
    def platform(self) -> str:
        return self.chat.platform

    @property
    def is_group(self) -> bool:
        return self.chat.kind is ChatKind.GROUP

    @property
    def has_critical(self) -> bool:
        return self.critical_count > 0

    @property
    def oldest_seen(self) -> float:
        """When the oldest waiting item was loaded (items are added in time order)."""
        return next(iter(self.seen_at.values()))

    def add(self, item: OutboxItem, now: float) -> None:
        if item.id in self.items:
            return
        self.items[item.id] = item
        self.seen_at[item.id] = now
        self.attempts[item.id] = item.attempts
        if item.is_critical:
            self.critical_count += 1
            if self.batch and not self.batch[0].critical:
                self.batch = []  # recompose so the critical one is first in line

    def remove(self, ids: tuple[int, ...] | list[int]) -> None:
        for item_id in ids:
            item = self.items.pop(item_id, None)
            self.seen_at.pop(item_id, None)
            self.attempts.pop(item_id, None)
            if item is not None and item.is_critical:
                self.critical_count -= 1

    def clear(self) -> None:
        self.remove(list(self.items))
        self.batch = []

    def move_to(self, chat_id: str) -> None:
        """The chat changed id: address it, and the items waiting here, by the new one."""
        self.chat = replace(self.chat, id=chat_id)
        self.items = {
            item_id: replace(item, notification=replace(item.notification, chat_id=chat_id))
            for item_id, item in self.items.items()
        }

    def merge(self, other: Destination) -> None:
        """Take over another destination's waiting items (the same chat under two ids), oldest first."""
        for item_id, item in other.items.items():
            if item_id not in self.items:
                self.add(item, other.seen_at[item_id])
                self.attempts[item_id] = other.attempts.get(item_id, item.attempts)
        order = sorted(self.seen_at, key=lambda i: (self.seen_at[i], i))
        self.items = {i: self.items[i] for i in order}
        self.seen_at = {i: self.seen_at[i] for i in order}
        self.batch = []
        self.next_attempt = max(self.next_attempt, other.next_attempt)

    def due_at(self, coalesce_s: float) -> float:
        """When the oldest item's coalescing window ends (at once when a critical item waits)."""
        base = self.oldest_seen
        if not (self.has_critical or self.batch):
            base += coalesce_s
        return max(base, self.next_attempt)

    def next_part(self, message_limit: int | None, max_parts: int) -> ComposedPart:
        """The next message: continue the current batch, or compose one from everything pending."""
        self.batch = [p for p in self.batch if all(i in self.items for i in p.item_ids)]
        if not self.batch:
            entries = [(item.id, item.notification) for item in self.items.values()]
            self.batch = compose(entries, message_limit=message_limit, max_parts=max_parts)
        return self.batch[0]

    def part_sent(self, part: ComposedPart) -> None:
        self.remove(part.item_ids)
        if self.batch and self.batch[0] is part:
            self.batch.pop(0)
        self.failures = 0
        self.next_attempt = 0.0



class Destinations:
    """The notifier's destinations by (chat_id, thread_id): what waits where, and which goes first."""

    def __init__(self) -> None:
        self._by_key: dict[DestinationKey, Destination] = {}

    def values(self) -> ValuesView[Destination]:
        return self._by_key.values()

    def pending(self) -> int:
        """Items waiting in memory, over all destinations."""
        return sum(len(d.items) for d in self._by_key.values())

    def add(self, item: OutboxItem, now: float) -> None:
        key = (item.chat_id, item.thread_id)
        dest = self._by_key.get(key)
        if dest is None:
            dest = self._by_key[key] = Destination(item.chat_ref())
        dest.add(item, now)

    def load(self, items: Iterable[OutboxItem], now: float, refusing: Container[str]) -> list[int]:
        """Add items loaded from the outbox; returns the ids of those for chats in `refusing`, not added."""
        refused: list[int] = []
        for item in items:
            if item.chat_id in refusing:
                refused.append(item.id)
                continue
            self.add(item, now)
        return refused

    def of_chat(self, chat_id: str) -> list[Destination]:
        return [d for k, d in self._by_key.items() if k[0] == chat_id]

    def ready(self) -> list[Destination]:
        """Forget empty idle destinations; the others with items and no send under way, critical and oldest first."""
        for key in [k for k, d in self._by_key.items() if not d.items and not d.in_flight]:
            del self._by_key[key]
        return sorted(
            (d for d in self._by_key.values() if d.items and not d.in_flight),
            key=lambda d: (not d.has_critical, d.oldest_seen),
        )

    def held_ids(self) -> set[int]:
        """The outbox ids of every item waiting in memory (or being sent)."""
        return {item_id for dest in self._by_key.values() for item_id in dest.items}

    def drop(self, ids: Container[int]) -> int:
        """Stop holding these items (another delivery process took them over); returns how many were here."""
        dropped = 0
        for dest in self._by_key.values():
            gone = [item_id for item_id in dest.items if item_id in ids]
            if gone:
                dest.remove(gone)
                dest.batch = []
                dropped += len(gone)
        return dropped

    def has_items_for(self, platforms: Container[str]) -> bool:
        return any(d.items and d.platform in platforms for d in self._by_key.values())

    def move_chat(self, old_chat_id: str, new_chat_id: str) -> None:
        """Re-key a chat's destinations under its new id, merging with any already there."""
        destinations = self._by_key
        for key in [k for k in destinations if k[0] == old_chat_id]:
            dest = destinations.pop(key)
            dest.move_to(new_chat_id)
            new_key = (new_chat_id, key[1])
            other = destinations.get(new_key)
            if other is None:
                destinations[new_key] = dest
            elif not other.in_flight:
                dest.merge(other)
                destinations[new_key] = dest
            elif not dest.in_flight:
                other.merge(dest)
            else:  # both being sent: keep both until one empties (very rare)
                destinations[(old_chat_id, key[1])] = dest
