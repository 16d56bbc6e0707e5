"""Neutral replies as Discord messages: escaped text, embeds and code-block tables within Discord's limits."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

import discord
from discord.utils import escape_markdown

from fxbot.adapters.text_render import render_table
from fxbot.chat.types import Document, Image, Reply, ReplyKind

CONTENT_LIMIT = 2000
EMBED_TITLE_LIMIT = 256
EMBED_DESCRIPTION_LIMIT = 4096
EMBED_TOTAL_LIMIT = 6000
EMBEDS_PER_MESSAGE = 10
_FENCE = "```"
_KIND_COLOURS = {
    ReplyKind.OK: discord.Colour.green(),
    ReplyKind.INFO: discord.Colour.blurple(),
    ReplyKind.WARNING: discord.Colour.orange(),
    ReplyKind.ERROR: discord.Colour.red(),
}
_KIND_PREFIX = {ReplyKind.ERROR: "⛔ ", ReplyKind.WARNING: "⚠️ "}
_SAFE_FILENAME = re.compile(r"[^A-Za-z0-9_.-]")


@dataclass(slots=True)
class OutgoingMessage:
    """One Discord message: content and/or embeds, and an image sent as an attachment."""

    content: str | None = None
    embeds: list[discord.Embed] = field(default_factory=list)
    image: Image | None = None
    document: Document | None = None

    def files(self) -> list[discord.File]:
        """Fresh attachment objects (a discord.File can be sent only once)."""
        files: list[discord.File] = []
        if self.image is not None:
            files.append(discord.File(io.BytesIO(self.image.data), filename=attachment_name(self.image)))
        if self.document is not None:
            files.append(discord.File(io.BytesIO(self.document.data), filename=attachment_name(self.document)))
        return files

    @property
    def size(self) -> int:
        """Characters that count against Discord's limits (content, and embed titles + descriptions)."""
        return len(self.content or "") + sum(len(e.title or "") + len(e.description or "") for e in self.embeds)


def attachment_name(image: Image | Document) -> str:
    """A file name Discord accepts in `attachment://` links."""
    cleaned = _SAFE_FILENAME.sub("_", image.filename) or "image.png"
    return cleaned[:100]


def escape(text: str) -> str:
    """User-visible plain text with Discord markdown neutralised (mentions are blocked by AllowedMentions)."""
    return escape_markdown(text)


def render_reply(reply: Reply) -> list[OutgoingMessage]:
    """A reply as one or more messages: titled replies as coloured embeds, others as plain content."""
    body = _body(reply)
    if reply.title:
        messages = _as_embeds(reply, body)
    else:
        prefix = _KIND_PREFIX.get(reply.kind, "")
        text = prefix + body if body else prefix.strip()
        chunks = split_markdown(text, CONTENT_LIMIT) if text else []
        messages = [OutgoingMessage(content=chunk) for chunk in chunks]
    if reply.image is not None:
        if not messages:
            messages = [OutgoingMessage()]
        first = messages[0]
        first.image = reply.image
        if first.embeds:
            first.embeds[0].set_image(url=f"attachment://{attachment_name(reply.image)}")
    if reply.document is not None:
        if not messages:
            messages = [OutgoingMessage()]
        messages[0].document = reply.document
    return messages


def _body(reply: Reply) -> str:
    lines = [escape(block) for block in reply.text if block]
    if reply.table is not None:
        table = render_table(reply.table).replace(_FENCE, "`\u200b``")
        lines.append(f"{_FENCE}\n{table}\n{_FENCE}")
    if reply.image is not None and reply.image.caption:
        lines.append(escape(reply.image.caption))
    return "\n".join(lines)


def _as_embeds(reply: Reply, body: str) -> list[OutgoingMessage]:
    title = escape(reply.title or "")
    if len(title) > EMBED_TITLE_LIMIT:
        title = title[: EMBED_TITLE_LIMIT - 1] + "…"
    colour = _KIND_COLOURS[reply.kind]
    chunks = split_markdown(body, EMBED_DESCRIPTION_LIMIT) if body else [""]
    embeds = [
        discord.Embed(title=title if index == 0 else None, description=chunk or None, colour=colour)
        for index, chunk in enumerate(chunks)
    ]
    messages: list[OutgoingMessage] = []
    current = OutgoingMessage()
    for embed in embeds:
        size = len(embed.title or "") + len(embed.description or "")
        if current.embeds and (len(current.embeds) >= EMBEDS_PER_MESSAGE or current.size + size > EMBED_TOTAL_LIMIT):
            messages.append(current)
            current = OutgoingMessage()
        current.embeds.append(embed)
    messages.append(current)
    return messages


def split_markdown(text: str, limit: int) -> list[str]:
    """Split on line boundaries into chunks of at most `limit` characters; a code block cut in two is
    closed at the end of one chunk and reopened at the start of the next."""
    if len(text) <= limit:
        return [text]
    budget = limit - len(_FENCE) - 1  # room to close an open fence
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    in_code = False
    for line in _short_lines(text.split("\n"), budget - len(_FENCE) - 1):
        extra = len(line) + (1 if current else 0)
        if current and size + extra > budget:
            chunks.append("\n".join([*current, _FENCE]) if in_code else "\n".join(current))
            current = [_FENCE] if in_code else []
            size = len(_FENCE) if in_code else 0
            extra = len(line) + (1 if current else 0)
        current.append(line)
        size += extra
        if line.startswith(_FENCE):
            in_code = not in_code
    if current:
        chunks.append("\n".join(current))
    return [chunk for chunk in chunks if any(line.strip() and not line.startswith(_FENCE)
                                             for line in chunk.split("\n"))]


def _short_lines(lines: list[str], width: int) -> list[str]:
    out: list[str] = []
    for line in lines:
        while len(line) > width:
            out.append(line[:width])
            line = line[width:]
        out.append(line)
    return out
