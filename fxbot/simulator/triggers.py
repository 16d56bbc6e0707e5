"""Per-symbol index of price levels (pending prices, SL, TP) that fire when the bid or ask crosses them."""

from __future__ import annotations

import heapq

# Which price a level watches and in which direction it fires.
ASK_AT_OR_BELOW = "ask_le"  # BUY_LIMIT price, SELL take-profit
ASK_AT_OR_ABOVE = "ask_ge"  # BUY_STOP price, SELL stop-loss
BID_AT_OR_ABOVE = "bid_ge"  # SELL_LIMIT price, BUY take-profit
BID_AT_OR_BELOW = "bid_le"  # SELL_STOP price, BUY stop-loss

TriggerKey = tuple[str, str]  # (order or position id, "price" | "sl" | "tp")


def pending_kind(order_type: str) -> str:
    """The trigger kind of a pending order type."""
    return {
        "BUY_LIMIT": ASK_AT_OR_BELOW,
        "BUY_STOP": ASK_AT_OR_ABOVE,
        "SELL_LIMIT": BID_AT_OR_ABOVE,
        "SELL_STOP": BID_AT_OR_BELOW,
    }[order_type]


def stop_kind(side: str, field: str) -> str:
    """The trigger kind of a position's stop-loss ("sl") or take-profit ("tp")."""
    if side == "BUY":
        return BID_AT_OR_BELOW if field == "sl" else BID_AT_OR_ABOVE
    return ASK_AT_OR_ABOVE if field == "sl" else ASK_AT_OR_BELOW


class TriggerBook:
    """Four heaps with lazy deletion: checking a tick costs O(1) when nothing fires, O(log n) per firing."""

    def __init__(self) -> None:
        self._heaps: dict[str, list[tuple[int, int, TriggerKey]]] = {
            ASK_AT_OR_BELOW: [], ASK_AT_OR_ABOVE: [], BID_AT_OR_ABOVE: [], BID_AT_OR_BELOW: [],
        }
        self._live: dict[TriggerKey, int] = {}
        self._token = 0

    def __len__(self) -> int:
        return len(self._live)

    def arm(self, key: TriggerKey, kind: str, level: int) -> None:
        """Watch `level` for `key`, replacing any level it had."""
        self._token += 1
        self._live[key] = self._token
        ordered = -level if kind in (ASK_AT_OR_BELOW, BID_AT_OR_BELOW) else level
        heap = self._heaps[kind]
        heapq.heappush(heap, (ordered, self._token, key))
        if len(heap) > 64 and len(heap) > 4 * len(self._live):
            self._compact()

    def disarm(self, key: TriggerKey) -> None:
        self._live.pop(key, None)

    def fired(self, bid: int, ask: int) -> list[TriggerKey]:
        """Pop and return every armed key whose level the quote has reached."""
        out: list[TriggerKey] = []
        for kind, heap in self._heaps.items():
            while heap:
                ordered, token, key = heap[0]
                if self._live.get(key) != token:
                    heapq.heappop(heap)
                    continue
                if not _reached(kind, ordered, bid, ask):
                    break
                heapq.heappop(heap)
                del self._live[key]
                out.append(key)
        return out

    def _compact(self) -> None:
        for kind, heap in self._heaps.items():
            kept = [entry for entry in heap if self._live.get(entry[2]) == entry[1]]
            heapq.heapify(kept)
            self._heaps[kind] = kept


def _reached(kind: str, ordered: int, bid: int, ask: int) -> bool:
    if kind == ASK_AT_OR_BELOW:
        return ask <= -ordered
    if kind == BID_AT_OR_BELOW:
        return bid <= -ordered
    if kind == ASK_AT_OR_ABOVE:
        return ask >= ordered
    return bid >= ordered
