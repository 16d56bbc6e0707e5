"""Runs a webhook's command lines as the endpoint's creator in its chat, through the dispatcher, and posts the
replies in that chat; checks every line (known, allowed, arguments, access) before running any."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fxbot.chat.access import check_access
from fxbot.chat.adapter import CommandHandlerPort
from fxbot.chat.arguments import bind_arguments
from fxbot.chat.context import ChatContext, ChatContextResolver
from fxbot.chat.parser import parse
from fxbot.chat.registry import CommandSpec
from fxbot.chat.symbols import SymbolResolver
from fxbot.chat.types import ChatRef, ChatUser, IncomingCommand, Reply, ReplyKind
from fxbot.errors import UserError
from fxbot.webhooks.store import Endpoint

log = logging.getLogger(__name__)

Post = Callable[[ChatRef, Reply], Awaitable[None]]
"""Posts a reply in a chat (the app: the chat's adapter `send`, buttons included)."""

NOT_VIA_WEBHOOK = frozenset({"webhook", "link", "unlink", "start", "help"})


class Refused(Exception):
    """The request cannot run: `status` is the HTTP status to answer, `reason` says why (nothing ran)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one command line did: `ok` unless a reply was an error; `pending` when a confirmation card waits."""

    command: str
    ok: bool
    pending: bool
    text: str

    def as_json(self) -> dict[str, Any]:
        return {"command": self.command, "ok": self.ok, "pending_confirmation": self.pending, "text": self.text}


def check_line(line: str, specs: Mapping[str, CommandSpec[Any]], symbols: SymbolResolver, ctx: ChatContext, *,
               what: str, allowed: Collection[str] | None = None) -> CommandSpec[Any]:
    """The command `line` runs, when it may run now for `ctx` (sent through `what`); Refused (400: not a usable
    command, or not one of `allowed`; 403: access denied) otherwise."""
    try:
        parsed = parse(line)
    except UserError as error:
        raise Refused(400, f"{line[:60]!r}: {error.message}") from None
    if parsed is None:
        raise Refused(400, f"{line[:60]!r} is not a command")
    spec = specs.get(parsed.name)
    if spec is None:
        raise Refused(400, f"unknown command /{parsed.name[:32]}")
    if (spec.name in NOT_VIA_WEBHOOK or spec.sensitive or spec.permission.private_only
            or (allowed is not None and spec.name not in allowed)):
        raise Refused(400, f"/{spec.name} cannot be sent through {what}")
    denial = check_access(spec.permission, ctx, spec.name)
    if denial is not None:
        raise Refused(403, denial.reason)
    try:
        bind_arguments(spec, parsed, symbols)
    except UserError as error:
        raise Refused(400, f"{line[:60]!r}: {error.message} — usage: {spec.usage}") from None
    return spec


def spec_table(handler: CommandHandlerPort) -> dict[str, CommandSpec[Any]]:
    """Every command by name and alias."""
    specs: dict[str, CommandSpec[Any]] = {}
    for spec in handler.commands():
        for name in (spec.name, *spec.aliases):
            specs[name] = spec
    return specs


class WebhookRunner:
    """The bridge from an endpoint to the dispatcher (`handler`): same registry, access check and audit."""

    def __init__(self, *, handler: CommandHandlerPort, resolver: ChatContextResolver, post: Post,
                 known_symbols: Collection[str], clock: Callable[[], datetime]) -> None:
        self._handler = handler
        self._resolver = resolver
        self._post = post
        self._symbols = SymbolResolver(known_symbols)
        self._clock = clock
        self._specs = spec_table(handler)

    @staticmethod
    def creator(endpoint: Endpoint) -> ChatUser:
        """Who the endpoint's commands run as (roles come from storage, never from the platform)."""
        return ChatUser(id=endpoint.created_by, display_name=endpoint.creator_name, is_platform_admin=False)

    async def check(self, endpoint: Endpoint, lines: tuple[str, ...]) -> None:
        """Raise Refused (400: not a usable command; 403: access denied now) unless every line may run."""
        ctx = await self._resolver.resolve(endpoint.chat, self.creator(endpoint))
        for line in lines:
            check_line(line, self._specs, self._symbols, ctx, what="a webhook")

    async def run(self, endpoint: Endpoint, lines: tuple[str, ...]) -> list[Outcome]:
        """Run each line in order (the dispatcher re-checks access for each) and post its replies in the chat."""
        outcomes: list[Outcome] = []
        user = self.creator(endpoint)
        chat = endpoint.chat
        for line in lines:
            incoming = IncomingCommand(user=user, chat=chat, text=line, received_at=self._clock(),
                                       via=f"webhook {endpoint.name}")
            replies = await self._handler.handle(incoming)
            for reply in replies:
                await self._deliver(chat, reply, endpoint)
            ok = all(reply.kind is not ReplyKind.ERROR for reply in replies)
            pending = any(reply.buttons for reply in replies)
            text = replies[0].plain_text[:300] if replies else ""
            outcomes.append(Outcome(command=line, ok=ok, pending=pending, text=text))
        return outcomes

    async def _deliver(self, chat: ChatRef, reply: Reply, endpoint: Endpoint) -> None:
        title = f"via webhook {endpoint.name}"
        shown = Reply(title=f"{reply.title} ({title})" if reply.title else title, text=reply.text,
                      table=reply.table, buttons=reply.buttons, image=reply.image, kind=reply.kind,
                      silent=reply.silent)
        try:
            await self._post(chat, shown)
        except Exception:
            log.exception("webhook %s (endpoint %d): posting a reply in chat %s failed", endpoint.name,
                          endpoint.id, chat.id)
