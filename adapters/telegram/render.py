"""Neutral replies as Telegram HTML messages: escaped text, tables in <pre>, split at the message limits."""

from __future__ import annotations

import html
from dataclasses import dataclass

from fxbot.adapters.text_render import render_table
from fxbot.chat.types import Button, Reply, ReplyKind

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
TITLE_LIMIT = 256
_ICONS = {ReplyKind.WARNING: "⚠️ ", ReplyKind.ERROR: "⛔ "}
_PRE_OPEN, _PRE_CLOSE = "<pre>", "</pre>"


@dataclass(frozen=True, slots=True)
class TextMessage:
    """One sendMessage: HTML text within the limit; `buttons` only on the last message of a reply."""

    html: str
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True, slots=True)
class PhotoMessage:
    """One sendPhoto: the image bytes and an HTML caption within the caption limit."""

    data: bytes
    filename: str
    caption_html: str | None = None
    buttons: tuple[Button, ...] = ()
    as_document: bool = False  # sendDocument (a file such as a CSV export) instead of sendPhoto


RenderedMessage = TextMessage | PhotoMessage


@dataclass(frozen=True, slots=True)
class _Segment:
    lines: tuple[str, ...]  # escaped HTML lines (no tags inside, except the bold title line)
    pre: bool = False
    header: tuple[str, ...] = ()  # repeated at the top of a continued <pre> block


def escape(text: str) -> str:
    """Plain text as safe Telegram HTML (&, <, > and quotes escaped)."""
    return html.escape(text, quote=True)


def _segments(reply: Reply) -> list[_Segment]:
    segments: list[_Segment] = []
    icon = _ICONS.get(reply.kind, "")
    if reply.title:
        title = reply.title if len(reply.title) <= TITLE_LIMIT else reply.title[: TITLE_LIMIT - 1] + "…"
        segments.append(_Segment((f"{icon}<b>{escape(title)}</b>",)))
        icon = ""
    text_lines = [line for block in reply.text if block for line in block.split("\n")]
    if text_lines:
        text_lines[0] = icon + text_lines[0]
        segments.append(_Segment(tuple(escape(line) for line in text_lines)))
    if reply.table is not None:
        table_lines = tuple(escape(line) for line in render_table(reply.table).split("\n"))
        segments.append(_Segment(table_lines, pre=True, header=table_lines[:2]))
    return segments


def _cut_line(line: str, room: int) -> tuple[str, str]:
    """Split an escaped line so the head fits in `room`, never inside an &entity;."""
    cut = room
    amp = line.rfind("&", max(0, cut - 8), cut)
    if amp > 0 and line.find(";", amp, cut) == -1:
        cut = amp
    return line[:cut], line[cut:]


def _pieces(line: str, room: int) -> list[str]:
    pieces = []
    while len(line) > room:
        head, line = _cut_line(line, room)
        pieces.append(head)
    pieces.append(line)
    return pieces


class _Chunk:
    """A message being filled: runs of lines, each run plain or one <pre> block of a segment."""

    def __init__(self) -> None:
        self.runs: list[tuple[int, bool, list[str]]] = []
        self.size = 0

    def cost(self, index: int, pre: bool, line: str) -> int:
        same_run = bool(self.runs) and self.runs[-1][0] == index
        extra = 0 if not self.runs else 1
        if pre and not same_run:
            extra += len(_PRE_OPEN) + len(_PRE_CLOSE)
        return extra + len(line)

    def add(self, index: int, pre: bool, line: str) -> None:
        self.size += self.cost(index, pre, line)
        if self.runs and self.runs[-1][0] == index:
            self.runs[-1][2].append(line)
        else:
            self.runs.append((index, pre, [line]))

    def html(self) -> str:
        parts = [(_PRE_OPEN + "\n".join(lines) + _PRE_CLOSE) if pre else "\n".join(lines)
                 for _, pre, lines in self.runs]
        return "\n".join(parts)


def split_html(segments: list[_Segment], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Pack segments into messages of at most `limit` characters: on line boundaries, never inside a
    tag or an entity; a table continued in the next message repeats its header."""
    pre_overhead = len(_PRE_OPEN) + len(_PRE_CLOSE)
    chunks: list[_Chunk] = [_Chunk()]
    for index, segment in enumerate(segments):
        header = segment.header if segment.pre else ()
        header_size = sum(len(h) + 1 for h in header)
        room = limit - (pre_overhead + header_size if segment.pre else 0)
        if room < 16:  # a tiny limit: no repeated header
            header, room = (), limit - (pre_overhead if segment.pre else 0)
        for position, raw in enumerate(segment.lines):
            for piece in _pieces(raw, room):
                chunk = chunks[-1]
                if chunk.size + chunk.cost(index, segment.pre, piece) > limit:
                    chunk = _Chunk()
                    chunks.append(chunk)
                    if position >= len(header):
                        for line in header:
                            chunk.add(index, True, line)
                chunk.add(index, segment.pre, piece)
    return [chunk.html() for chunk in chunks if chunk.runs]


def render_reply(reply: Reply, *, limit: int = MESSAGE_LIMIT, caption_limit: int = CAPTION_LIMIT
                 ) -> list[RenderedMessage]:
    """The Telegram messages for one reply, in order; the buttons ride on the last one."""
    texts = split_html(_segments(reply), limit)
    messages: list[RenderedMessage] = []
    if reply.image is not None:
        caption = None
        if len(texts) == 1 and len(texts[0]) <= caption_limit:
            caption = texts.pop()
        elif reply.image.caption:
            caption = split_html([_Segment((escape(reply.image.caption),))], caption_limit)[0]
        messages.append(PhotoMessage(reply.image.data, reply.image.filename or "image.png", caption))
    if reply.document is not None:
        caption = None
        if len(texts) == 1 and len(texts[0]) <= caption_limit:
            caption = texts.pop()
        elif reply.document.caption:
            caption = split_html([_Segment((escape(reply.document.caption),))], caption_limit)[0]
        messages.append(PhotoMessage(reply.document.data, reply.document.filename or "file", caption,
                                     as_document=True))
    messages.extend(TextMessage(text) for text in texts)
    if reply.buttons and messages:
        last = messages[-1]
        if isinstance(last, TextMessage):
            messages[-1] = TextMessage(last.html, reply.buttons)
        else:
            messages[-1] = PhotoMessage(last.data, last.filename, last.caption_html, reply.buttons, last.as_document)
    elif reply.buttons:
        messages.append(TextMessage(escape("Choose:"), reply.buttons))
    return messages
