"""Sorted (points, slot) pairs kept in blocks: the structure behind every price book and the rule-id map.

Entries are found by bisection (O(log n + found)); no change touches more than a block or two, so no
pause grows with the number of entries.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from itertools import compress

_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1
_SHIFT = 2**32
KEY_SHIFT = _SHIFT
"""An entry's key is points × KEY_SHIFT + slot: keys sort as the index does."""
_SLOT_MASK = _SHIFT - 1
BLOCK = 512
"""Entries per block after a bulk load or a split; a block splits past 2 × BLOCK and merges below BLOCK / 4."""


class ThresholdIndex:
    """Sorted (points, slot) pairs kept in blocks, ordered by points then slot.

    The entries are cut into blocks of a few hundred (`BLOCK`), each two compact arrays (`array('i')`
    of points, or `'q'` once a level does not fit 32 bits, and `array('i')` of slots), with the
    last entry of every block as one number (points × 2³² + slot) in a list. Adding or removing an
    entry bisects that list, then shifts one block's arrays: no operation touches more than a block
    or two (plus the list of blocks), so no pause grows with the book; a block that grows past
    2 × BLOCK is split and one that shrinks below BLOCK / 4 is merged into a neighbour. The order
    depends only on the entries, never on the history that built the index.
    """

    __slots__ = ("_count", "_maxes", "_points", "_slots", "block", "typecode")

    def __init__(self, block: int | None = None) -> None:
        self.block = max(4, BLOCK if block is None else block)
        self.typecode = "i"  # 4-byte points while every level fits, else "q"
        self._points: list[array[int]] = []
        self._slots: list[array[int]] = []
        self._maxes: list[int] = []  # the last entry of each block as points * _SHIFT + slot
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def entries(self) -> Iterator[tuple[int, int]]:
        """Every (points, slot), in index order."""
        for points, slots in zip(self._points, self._slots, strict=True):
            yield from zip(points, slots, strict=True)

    @property
    def blocks(self) -> int:
        return len(self._points)

    def add(self, points: int, slot: int) -> None:
        if self.typecode == "i" and not _INT32_MIN <= points <= _INT32_MAX:
            self._widen()
        key = points * _SHIFT + slot
        maxes = self._maxes
        if not maxes:
            self._points.append(array(self.typecode, (points,)))
            self._slots.append(array("i", (slot,)))
            maxes.append(key)
            self._count = 1
            return
        k = bisect_left(maxes, key)  # the first block ending at or after the entry
        if k == len(maxes):
            k -= 1
            maxes[k] = key
        block_points, block_slots = self._points[k], self._slots[k]
        lo = bisect_left(block_points, points)
        at = bisect_left(block_slots, slot, lo, bisect_right(block_points, points, lo))
        block_points.insert(at, points)
        block_slots.insert(at, slot)
        self._count += 1
        if len(block_points) > 2 * self.block:
            self._split(k)

    def remove(self, points: int, slot: int) -> bool:
        """Remove one (points, slot) entry; False when it was not there."""
        maxes = self._maxes
        k = bisect_left(maxes, points * _SHIFT + slot)
        if k == len(maxes):
            return False
        block_points, block_slots = self._points[k], self._slots[k]
        lo = bisect_left(block_points, points)
        hi = bisect_right(block_points, points, lo)
        at = bisect_left(block_slots, slot, lo, hi)
        if at == hi or block_slots[at] != slot:
            return False
        if len(block_points) > self.block // 4 + 1 and at + 1 < len(block_points):  # _delete() inlined: the common case
            del block_points[at]
            del block_slots[at]
            self._count -= 1
            return True
        self._delete(k, at)
        return True

    def remove_sorted(self, keys: Sequence[int]) -> None:
        """Remove many entries given as keys (points × 2³² + slot, ascending): one pass over the block that
        holds them all (what a move's range leaves behind), else one remove() each. A key not there is skipped."""
        maxes = self._maxes
        k = bisect_left(maxes, keys[0]) if len(keys) > 1 else len(maxes)
        if k == len(maxes) or keys[-1] > maxes[k]:
            for key in keys:
                self.remove(key >> 32, key & _SLOT_MASK)
            return
        block_points, block_slots = self._points[k], self._slots[k]
        start = bisect_left(block_points, keys[0] >> 32)
        end = bisect_right(block_points, keys[-1] >> 32, start)
        gone = set(keys)
        span_points, span_slots = block_points[start:end], block_slots[start:end]
        span = [points * _SHIFT + slot for points, slot in zip(span_points, span_slots, strict=True)]
        keep = [key not in gone for key in span]
        removed = len(keep) - sum(keep)
        if removed:
            block_points[start:end] = array(self.typecode, compress(span_points, keep))
            block_slots[start:end] = array("i", compress(span_slots, keep))
            self._count -= removed
            if not block_points:
                del self._points[k], self._slots[k], self._maxes[k]
            else:
                maxes[k] = block_points[-1] * _SHIFT + block_slots[-1]
                if len(block_points) < self.block // 4 and len(self._points) > 1:
                    self._merge_blocks(k - 1 if k + 1 == len(self._points) else k)
        if removed < len(gone):  # keys out of order or not there: each on its own
            for key in gone.difference(span):
                self.remove(key >> 32, key & _SLOT_MASK)

    def between(self, lo: int, hi: int) -> array[int]:
        """The slots of every entry with lo <= points <= hi, in index order (a copy: callers may change the index)."""
        maxes = self._maxes
        k = bisect_left(maxes, lo * _SHIFT)
        if k == len(maxes):
            return array("i")
        block_points = self._points[k]
        start = bisect_left(block_points, lo)
        if block_points[-1] > hi:  # the common case: one block holds the whole range
            return self._slots[k][start:bisect_right(block_points, hi, start)]
        found = self._slots[k][start:]
        k += 1
        while k < len(maxes):
            block_points = self._points[k]
            if block_points[0] > hi:
                break
            if block_points[-1] <= hi:
                found += self._slots[k]
            else:
                found += self._slots[k][:bisect_right(block_points, hi)]
                break
            k += 1
        return found

    def first(self, points: int) -> int | None:
        """The slot of the first entry at exactly `points`; None when there is none."""
        maxes = self._maxes
        k = bisect_left(maxes, points * _SHIFT)
        if k == len(maxes):
            return None
        block_points = self._points[k]
        at = bisect_left(block_points, points)
        return self._slots[k][at] if at < len(block_points) and block_points[at] == points else None

    def last_points(self) -> int | None:
        """The points of the last entry; None when empty."""
        return self._maxes[-1] >> 32 if self._maxes else None

    def extend_sorted(self, points: Sequence[int], slots: Sequence[int]) -> None:
        """Append entries given in index order that all come after the ones there (a cold start's id ranges)."""
        if not len(points):
            return
        if self._maxes and points[0] * _SHIFT + slots[0] <= self._maxes[-1]:
            raise ValueError("extend_sorted: the entries must come after the ones in the index")
        if self.typecode == "i" and not (points[0] >= _INT32_MIN and points[-1] <= _INT32_MAX):
            self._widen()
        new_points, new_slots = array(self.typecode, points), array("i", slots)
        size = self.block
        for i in range(0, len(new_points), size):
            block_points, block_slots = new_points[i:i + size], new_slots[i:i + size]
            self._points.append(block_points)
            self._slots.append(block_slots)
            self._maxes.append(block_points[-1] * _SHIFT + block_slots[-1])
        self._count += len(new_points)

    def select(self, marked: bytearray) -> tuple[array[int], array[int]]:
        """The (points, slots) of the entries whose slot is marked (`marked[slot]` non-zero), in index order."""
        points, slots = array("q"), array("i")
        for block_points, block_slots in zip(self._points, self._slots, strict=True):
            keep = bytes(map(marked.__getitem__, block_slots))
            points.extend(compress(block_points, keep))
            slots.extend(compress(block_slots, keep))
        return points, slots

    def bulk_load(self, pairs_points: array[int], pairs_slots: array[int]) -> None:
        """Replace the content with unsorted parallel arrays, sorting once (cold start)."""
        keys = list(map(int.__add__, map(_SHIFT.__mul__, pairs_points), pairs_slots))
        keys.sort()
        fits = not keys or (keys[0] >> 32 >= _INT32_MIN and keys[-1] >> 32 <= _INT32_MAX)
        self.typecode = "i" if fits else "q"
        points = array(self.typecode, map((32).__rrshift__, keys))
        slots = array("i", map(_SLOT_MASK.__and__, keys))
        size = self.block
        self._points = [points[i:i + size] for i in range(0, len(points), size)]
        self._slots = [slots[i:i + size] for i in range(0, len(slots), size)]
        self._maxes = keys[size - 1::size]
        if len(keys) % size:
            self._maxes.append(keys[-1])
        self._count = len(keys)

    def merge(self, points: array[int], slots: array[int]) -> None:
        """Add many entries at once (sorted in one pass with the ones already there)."""
        if not len(points):
            return
        all_points, all_slots = array("q", points), array("i", slots)
        for block_points, block_slots in zip(self._points, self._slots, strict=True):
            all_points.extend(block_points)
            all_slots.extend(block_slots)
        self.bulk_load(all_points, all_slots)

    # -- blocks -------------------------------------------------------------------------------

    def _delete(self, k: int, at: int) -> None:
        block_points, block_slots = self._points[k], self._slots[k]
        del block_points[at]
        del block_slots[at]
        self._count -= 1
        if not block_points:
            del self._points[k], self._slots[k], self._maxes[k]
            return
        self._maxes[k] = block_points[-1] * _SHIFT + block_slots[-1]
        if len(block_points) < self.block // 4 and len(self._points) > 1:
            self._merge_blocks(k - 1 if k + 1 == len(self._points) else k)

    def _merge_blocks(self, k: int) -> None:
        """Join block k + 1 onto block k (split again when that makes it too big)."""
        self._points[k] += self._points[k + 1]
        self._slots[k] += self._slots[k + 1]
        self._maxes[k] = self._maxes[k + 1]
        del self._points[k + 1], self._slots[k + 1], self._maxes[k + 1]
        if len(self._points[k]) > 2 * self.block:
            self._split(k)

    def _split(self, k: int) -> None:
        block_points, block_slots = self._points[k], self._slots[k]
        half = len(block_points) // 2
        self._points[k:k + 1] = [block_points[:half], block_points[half:]]
        self._slots[k:k + 1] = [block_slots[:half], block_slots[half:]]
        self._maxes[k:k + 1] = [block_points[half - 1] * _SHIFT + block_slots[half - 1], self._maxes[k]]

    def _widen(self) -> None:
        self.typecode = "q"
        self._points = [array("q", block) for block in self._points]
