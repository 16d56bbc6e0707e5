"""Turns one chat's pending notifications into as few messages as the platform's length limit allows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fxbot.chat.types import Image, Reply, ReplyKind
from fxbot.notify.notification import Notification, NotificationAction, Severity

DEFAULT_MAX_PARTS = 3
MIN_MESSAGE_LIMIT = 200
SEPARATOR_SIZE = 2  # adapters join blocks with "\n" or "\n\n": count the larger
MARGIN = 16  # room an adapter may add (an icon before the title, …)
ELLIPSIS = "…"

_MARKERS = {Severity.CRITICAL: "🚨 ", Severity.WARNING: "⚠️ ", Severity.INFO: "• "}
_REPLY_KINDS = {Severity.CRITICAL: ReplyKind.ERROR, Severity.WARNING: ReplyKind.WARNING, Severity.INFO: ReplyKind.INFO}
_NOUNS = {"price_alert": "alert", "margin_alert": "alert", "drawdown_alert": "alert", "equity_alert": "alert",
          "expired": "alert", "runaway": "alert", "fill": "fill"}

Entry = tuple[int, Notification]
"""An outbox row id with its notification."""


@dataclass(frozen=True, slots=True)
class ComposedPart:
    """One message to send and the outbox rows it delivers (including those only counted in "+N more").

    `actions`: the buttons to offer with it — only for a message of one notification: in a combined message a
    "Close" could not say which of its items it closes, so those carry none (the typed commands still work)."""

    reply: Reply
    item_ids: tuple[int, ...]
    critical: bool
    actions: tuple[NotificationAction, ...] = ()


def text_size(text: str) -> int:
    """Length as the platforms count it (UTF-16 code units; never less than len())."""
    return len(text.encode("utf-16-le")) // 2


def compose(
    entries: Sequence[Entry], *, message_limit: int | None, max_parts: int = DEFAULT_MAX_PARTS
) -> list[ComposedPart]:
    """One chat's notifications as at most `max_parts` messages, critical first.

    Sorted by severity (critical first), then age. When everything does not fit, the last part
    ends with a "+N more" line that stands for the remaining non-critical notifications. Critical
    notifications are never summarised: if they alone need more than `max_parts` messages they get
    as many as they need. `message_limit` None means no length limit.
    """
    if max_parts < 1:
        raise ValueError(f"max_parts must be at least 1, got {max_parts}")
    if message_limit is not None and message_limit < MIN_MESSAGE_LIMIT:
        raise ValueError(f"message_limit must be at least {MIN_MESSAGE_LIMIT} characters, got {message_limit}")
    if not entries:
        return []
    ordered = sorted(entries, key=lambda e: (-int(e[1].severity), e[1].created_at, e[0]))
    if len(ordered) == 1:
        return [_single(ordered[0], message_limit)]
    pictured = [entry for entry in ordered if entry[1].image is not None]
    if pictured:  # a picture (a digest's chart) goes in a message of its own, after the others
        rest = [entry for entry in ordered if entry[1].image is None]
        composed = compose(rest, message_limit=message_limit, max_parts=max_parts)
        return composed + [_single(entry, message_limit) for entry in pictured]
    capacity = None if message_limit is None else message_limit - MARGIN - _title_reserve(ordered)
    blocks = [(entry, _block(entry[1], capacity)) for entry in ordered]
    critical = [b for b in blocks if b[0][1].is_critical]
    others = [b for b in blocks if not b[0][1].is_critical]
    groups = _pack(critical, capacity, [])
    allowed = max(max_parts, len(groups))
    groups, overflow = _pack_limited(others, capacity, groups, allowed)
    return _render(ordered, groups, overflow, capacity)


def _single(entry: Entry, limit: int | None) -> ComposedPart:
    item_id, n = entry
    title = _MARKERS[n.severity] + n.title if n.is_critical else n.title  # marked as in a combined message
    title = title if limit is None else _truncate(title, limit // 4)
    budget = None if limit is None else limit - MARGIN - text_size(title) - SEPARATOR_SIZE
    text = "\n".join(n.lines)
    if budget is not None:
        text = _truncate(text, budget)
    image = None if n.image is None else Image(data=n.image, filename=n.image_name or "image.png")
    reply = Reply(title=title, text=(text,) if text else (), kind=_REPLY_KINDS[n.severity], silent=n.silent,
                  image=image)
    return ComposedPart(reply=reply, item_ids=(item_id,), critical=n.is_critical, actions=n.actions)


def _block(n: Notification, capacity: int | None) -> str:
    text = "\n".join((_MARKERS[n.severity] + n.title, *n.lines))
    if capacity is None:
        return text
    return _truncate(text, capacity - SEPARATOR_SIZE - _summary_reserve())


Block = tuple[Entry, str]


def _pack(blocks: Sequence[Block], capacity: int | None, groups: list[list[Block]]) -> list[list[Block]]:
    """Greedy packing into as many parts as needed, continuing the last existing part."""
    result = [list(g) for g in groups]
    for block in blocks:
        if result and _fits(result[-1], block, capacity, 0):
            result[-1].append(block)
        else:
            result.append([block])
    return result


def _pack_limited(
    blocks: Sequence[Block], capacity: int | None, groups: list[list[Block]], allowed: int
) -> tuple[list[list[Block]], list[Block]]:
    """Pack into at most `allowed` parts; what does not fit is returned for the "+N more" line."""
    packed = _pack(blocks, capacity, groups)
    if len(packed) <= allowed:
        return packed, []
    # It does not all fit: pack again, leaving room for the summary line in the last allowed part.
    result = [list(g) for g in groups]
    for index, block in enumerate(blocks):
        if result:
            reserve = _summary_reserve() if len(result) >= allowed else 0
            if _fits(result[-1], block, capacity, reserve):
                result[-1].append(block)
                continue
        if len(result) < allowed:
            result.append([block])  # blocks are truncated so one always fits with the summary line
            continue
        return result, list(blocks[index:])
    return result, []


def _fits(group: Sequence[Block], block: Block, capacity: int | None, reserve: int) -> bool:
    if capacity is None:
        return True
    used = sum(text_size(text) + SEPARATOR_SIZE for _, text in group)
    return used + text_size(block[1]) + SEPARATOR_SIZE + reserve <= capacity


def _render(
    ordered: Sequence[Entry], groups: list[list[Block]], overflow: list[Block], capacity: int | None
) -> list[ComposedPart]:
    summary = _summary_title(ordered)
    overflow_line = _overflow_line([entry[1] for entry, _ in overflow]) if overflow else None
    if overflow_line is not None and capacity is not None and groups:
        used = sum(text_size(text) + SEPARATOR_SIZE for _, text in groups[-1])
        if used + text_size(overflow_line) + SEPARATOR_SIZE > capacity:
            groups = [*groups, []]  # only when criticals filled every part to the brim
    count = len(groups)
    parts: list[ComposedPart] = []
    for index, group in enumerate(groups):
        members = [entry for entry, _ in group]
        texts = [text for _, text in group]
        if index == count - 1 and overflow_line is not None:
            members.extend(entry for entry, _ in overflow)
            texts.append(overflow_line)
        notes = [n for _, n in members]
        severity = max(n.severity for n in notes)
        title = summary if count == 1 else f"{summary} ({index + 1}/{count})"
        reply = Reply(
            title=title,
            text=tuple(texts),
            kind=_REPLY_KINDS[severity],
            silent=all(n.silent for n in notes),
        )
        parts.append(ComposedPart(reply, tuple(i for i, _ in members), severity is Severity.CRITICAL))
    return parts


def _summary_title(ordered: Sequence[Entry]) -> str:
    nouns = {_NOUNS.get(n.kind, "notification") for _, n in ordered}
    noun = nouns.pop() if len(nouns) == 1 else "notification"
    title = f"{len(ordered)} {noun}s"
    critical = sum(1 for _, n in ordered if n.is_critical)
    return f"{title} ({critical} critical)" if critical else title


def _overflow_line(notes: Sequence[Notification]) -> str:
    warnings = sum(1 for n in notes if n.severity is Severity.WARNING)
    infos = len(notes) - warnings
    detail = ", ".join(
        f"{count} {word}" for count, word in ((warnings, "warning" if warnings == 1 else "warnings"),
                                              (infos, "info")) if count
    )
    return f"+{len(notes)} more ({detail})"


def _summary_reserve() -> int:
    return text_size("+99999 more (99999 warnings, 99999 info)") + SEPARATOR_SIZE


def _title_reserve(ordered: Sequence[Entry]) -> int:
    return text_size(_summary_title(ordered) + " (999/999)") + SEPARATOR_SIZE


def _truncate(text: str, budget: int) -> str:
    if text_size(text) <= budget:
        return text
    cut = text[: max(0, budget - 1)]
    while cut and text_size(cut) + 1 > budget:
        cut = cut[:-1]
    return cut + ELLIPSIS
