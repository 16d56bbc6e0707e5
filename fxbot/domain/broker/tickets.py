"""Ids of positions, orders and trades, and how a MetaTrader ticket is written, read and shown.

Every id in the broker vocabulary is an opaque `str` chosen by the backend; the core only compares,
stores and echoes ids, never parses them. The `/v1` API gives prefixed ids (`pos_8Kq…`, `ord_3Zt…`,
`trd_…`). A backend on MetaTrader terminals has integer tickets instead: its id IS the ticket as
MetaTrader shows it, in decimal (`"12345678"`), for positions, pending orders and deals alike.

Why decimal strings rather than `pos_12345678`/`ord_12345678` or an int field:
- ids stay one type everywhere (storage, audit log, dedupe keys, chat arguments), so nothing in the core
  branches on the backend;
- on MetaTrader a position's ticket is the ticket of the order that opened it, so one number names both:
  a prefix would invent two ids for one thing, and the trader could not paste what the terminal shows;
- a `/v1` id is never all digits, so `ticket_of` tells the two apart without knowing the backend.

What a person types is read by `parse_ref` (`12345678`, `#12345678`, `pos_8Kq…`); replies show
`display_id` (`#12345678` for a ticket, the id itself otherwise).
"""

from __future__ import annotations

MAX_TICKET = 2**63 - 1  # MetaTrader tickets are unsigned 64-bit; anything larger is not a ticket


def ticket_id(ticket: int) -> str:
    """The id of a MetaTrader ticket (`12345678` -> `"12345678"`); ValueError for a non-positive ticket."""
    if isinstance(ticket, bool) or not isinstance(ticket, int) or not 0 < ticket <= MAX_TICKET:
        raise ValueError(f"a MetaTrader ticket is a positive integer, got {ticket!r}")
    return str(ticket)


def ticket_of(id_: str) -> int | None:
    """The ticket an id stands for, or None for an id that is not a ticket (a `/v1` id)."""
    if not id_.isascii() or not id_.isdigit() or (len(id_) > 1 and id_.startswith("0")):
        return None
    value = int(id_)
    return value if 0 < value <= MAX_TICKET else None


def display_id(id_: str) -> str:
    """How replies show an id: `#12345678` for a ticket, the id unchanged otherwise."""
    return f"#{id_}" if ticket_of(id_) is not None else id_


def parse_ref(text: str) -> str:
    """The id a person means: `#12345678` and `12345678` -> `"12345678"`; anything else stripped, unchanged.

    It checks nothing else: whether the id exists is the backend's answer (NotFoundError).
    """
    ref = text.strip()
    if ref.startswith("#") and ticket_of(ref[1:]) is not None:
        return ref[1:]
    return ref
