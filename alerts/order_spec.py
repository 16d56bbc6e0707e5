"""Reading `/alert SYMBOL CONDITION then ORDER [| CONDITION then ORDER]`: the alert part of each leg and the order
command it places when it fires (the symbol filled in where the order leaves it out)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

MAX_LEGS = 2
ORDER_COMMANDS = frozenset({"buy", "sell", "buylimit", "selllimit", "buystop", "sellstop", "buystoplimit",
                            "sellstoplimit", "close"})


class OrderSpecError(ValueError):
    """The `then` part cannot be read; the message says why."""


@dataclass(frozen=True, slots=True)
class OrderLeg:
    """One alert and the order it places: `alert_words` as /alert takes them, `command` a full command line."""

    alert_words: tuple[str, ...]
    command: str


def has_order(words: Collection[str]) -> bool:
    """True when /alert's words carry a `then` order."""
    return any(word.lower() == "then" for word in words)


def parse_order_legs(words: list[str]) -> list[OrderLeg]:
    """The legs of an alert that trades; OrderSpecError when a leg has no condition, no order or a bad one."""
    text = " ".join(words)
    segments = [segment.split() for segment in text.split("|")]
    if len(segments) > MAX_LEGS:
        raise OrderSpecError(f"at most {MAX_LEGS} legs (one-cancels-other): CONDITION then ORDER | CONDITION then "
                             "ORDER")
    symbol: str | None = None
    legs: list[OrderLeg] = []
    for index, segment in enumerate(segments):
        lowered = [word.lower() for word in segment]
        if lowered.count("then") != 1:
            raise OrderSpecError("each leg needs one 'then': /alert EURUSD above 1.0950 then buy 0.1")
        cut = lowered.index("then")
        condition, order = segment[:cut], segment[cut + 1:]
        if not condition:
            raise OrderSpecError("say when before 'then': /alert EURUSD above 1.0950 then buy 0.1")
        if index == 0:
            symbol = condition[0].upper()
        elif symbol is not None and condition[0].upper() != symbol:
            condition = [symbol, *condition]  # "| below 1.0850 then sell 0.1": the same symbol
        if not order:
            raise OrderSpecError("say which order after 'then': buy 0.1, sell 0.1 sl=20p tp=40p, close")
        name = order[0].lower().lstrip("/")
        if name not in ORDER_COMMANDS:
            raise OrderSpecError(f"'{order[0][:20]}' after 'then' is not an order — use buy, sell, a pending order "
                                 "(buylimit …) or close")
        rest = order[1:]
        if symbol is not None and (not rest or rest[0].upper() != symbol):
            rest = [symbol, *rest]
        legs.append(OrderLeg(alert_words=tuple(condition), command=" ".join(["/" + name, *rest])))
    return legs
