"""The /webhook command: chat admins create, list, revoke and test endpoints that turn HTTP requests (TradingView
alerts) into this chat's commands; URLs (they hold the token) are only ever shown in a private chat."""

from __future__ import annotations

import ipaddress
import re
import secrets
from typing import TYPE_CHECKING

from fxbot.chat.argument_types import ArgKind, Argument, BoundArgs
from fxbot.chat.context import CommandContext
from fxbot.chat.registry import CommandRegistry, CommandSpec, Permission
from fxbot.chat.types import Reply, ReplyKind
from fxbot.domain.access import Role
from fxbot.domain.formatting import format_time
from fxbot.errors import NotFound, UsageError, UserError
from fxbot.webhooks.service import WebhookService
from fxbot.webhooks.store import Endpoint, NameTaken

if TYPE_CHECKING:
    from fxbot.services.container import Services

USAGE = "/webhook new [NAME] [secret=on] [ips=IP,IP] | list | revoke NAME | test NAME | token NAME [secret=on|off]"
EXAMPLE = "/webhook new tv"
ADMIN = Permission(scope=None, role=Role.ADMIN, needs_binding=False)
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}", re.ASCII)
OFF = ("webhooks are off in this bot's config — the operator sets webhooks.enabled: true and webhooks.public_url "
       "(see the README, Webhooks)")


def tradingview_template(secret: bool) -> tuple[str, ...]:
    """The alert message to paste into TradingView (JSON: an id makes TradingView's retries run once)."""
    secret_part = ', "secret": "YOUR_SECRET"' if secret else ""
    return (
        "TradingView alert message (JSON):",
        '{"command": "{{strategy.order.action}} {{ticker}} 0.1 sl=20p tp=40p", '
        f'"id": "{{{{strategy.order.id}}}}-{{{{timenow}}}}"{secret_part}}}',
        "or plain text, one command per line: {{strategy.order.action}} {{ticker}} 0.1",
        "FX:EURUSD / OANDA:XAUUSD become EURUSD / XAUUSD; every command is checked like one typed here.",
    )


def _service(cmd: CommandContext[Services]) -> WebhookService:
    service = cmd.services.webhooks
    if service is None:
        raise UserError(OFF)
    return service


def _name(raw: str | None, *, required: bool) -> str:
    if raw is None:
        if required:
            raise UsageError("name the endpoint, e.g. /webhook revoke tv", usage=USAGE, example=EXAMPLE)
        return "tv"
    name = raw.strip().lower()
    if not _NAME.fullmatch(name):
        raise UsageError(f"'{raw[:32]}' is not a webhook name — 1-32 of a-z, 0-9, - and _", usage=USAGE,
                         example=EXAMPLE)
    return name


def _ips(raw: str | None) -> tuple[str, ...]:
    if raw is None:
        return ()
    out: list[str] = []
    for part in raw.split(","):
        try:
            out.append(str(ipaddress.ip_address(part.strip())))
        except ValueError:
            raise UsageError(f"'{part.strip()[:40]}' is not an IP address — ips=52.89.214.238,34.212.75.30",
                             usage=USAGE, example=EXAMPLE) from None
    return tuple(out)


def _with_url(title: str, service: WebhookService, endpoint: Endpoint, token: str,
              secret: str | None) -> list[Reply]:
    """Two replies: the first (what the audit log keeps) without the URL, the second with the URL and template."""
    secret_line = (f"shared secret (put it in the body's \"secret\"): {secret}",) if secret else ()
    details = (f"URL (keep it secret — anyone with it can send commands here as you): {service.url(token)}",
               *secret_line, *tradingview_template(endpoint.secret_hash is not None or secret is not None),
               f"results are posted in the endpoint's chat; /webhook revoke {endpoint.name} stops it for good")
    return [Reply(kind=ReplyKind.OK, title=title, text=("its URL and TradingView template follow",)),
            Reply(title=f"Webhook {endpoint.name}", text=details)]


def _new_secret(args: BoundArgs) -> str | None:
    return secrets.token_urlsafe(18) if args.optional("secret", str) == "on" else None


async def _new(cmd: CommandContext[Services], service: WebhookService, args: BoundArgs) -> Reply | list[Reply]:
    if not service.enabled:
        raise UserError(OFF)
    name = _name(args.optional("name", str), required=False)
    private = cmd.chat.is_private
    if args.optional("secret", str) is not None and not private:
        raise UserError("a secret shown in a group is no secret — create the endpoint here without secret=, then "
                        f"send /webhook token {name} secret=on to me in a private chat")
    secret = _new_secret(args)
    try:
        endpoint, token = await service.store.create(
            name=name, chat=cmd.chat, created_by=cmd.user.id, creator_name=cmd.user.display_name, secret=secret,
            allow_ips=_ips(args.optional("ips", str)), with_token=private)
    except NameTaken:
        raise UserError(f"this chat already has a webhook named {name} — pick another name or "
                        f"/webhook revoke {name}") from None
    if token is None:
        return Reply(kind=ReplyKind.OK, title=f"Webhook {name} created for this chat", text=(
            "its URL holds a secret token, so it is never shown in a group:",
            f"send /webhook token {name} to me in a private chat to get it (and the TradingView template)",
            "commands sent to it run as you, here, with your role and this chat's key, checked at each request",
        ))
    return _with_url(f"Webhook {name} created", service, endpoint, token, secret)


async def _token(cmd: CommandContext[Services], service: WebhookService, args: BoundArgs) -> list[Reply]:
    if not service.enabled:
        raise UserError(OFF)
    if not cmd.chat.is_private:
        raise UserError("webhook URLs are only shown in a private chat — send /webhook token NAME to me there")
    name = _name(args.optional("name", str), required=True)
    endpoint = await service.store.created_by(cmd.user.id, name)
    if endpoint is None:
        raise NotFound(f"you have no webhook named {name} — /webhook new {name} in the chat it should post to")
    token = await service.store.issue_token(endpoint.id)
    secret = _new_secret(args)
    if args.optional("secret", str) is not None:
        await service.store.set_secret(endpoint.id, secret)
    endpoint = await service.store.created_by(cmd.user.id, name) or endpoint
    note = "a new URL: the previous one no longer works" if endpoint.has_token else "its URL"
    return _with_url(f"Webhook {name}: {note}", service, endpoint, token, secret)


async def _list(cmd: CommandContext[Services], service: WebhookService) -> Reply:
    cmd.skip_audit()
    endpoints = await service.store.in_chat(cmd.chat.id)
    if not endpoints:
        return Reply(title="Webhooks", text=("no webhook posts to this chat — /webhook new NAME creates one",))
    timezone = await cmd.services.chat_settings.timezone(cmd.chat.id)
    lines = []
    for e in endpoints:
        extras = [x for x in ("secret" if e.secret_hash else "", f"{len(e.allow_ips)} IPs" if e.allow_ips else "",
                              "" if e.has_token else "no URL yet: /webhook token in private") if x]
        extra = f" ({', '.join(extras)})" if extras else ""
        lines.append(f"{e.name} — runs as {e.creator_name}, created {format_time(e.created_at, timezone)}{extra}")
    return Reply(title="Webhooks", text=tuple(lines))


async def _revoke(cmd: CommandContext[Services], service: WebhookService, args: BoundArgs) -> Reply:
    name = _name(args.optional("name", str), required=True)
    endpoint = await service.store.named(cmd.chat.id, name)
    if endpoint is None:
        raise NotFound(f"no webhook named {name} posts to this chat — /webhook list shows them")
    await service.store.revoke(endpoint.id)
    return Reply(kind=ReplyKind.OK, text=(f"webhook {name} revoked: its URL now answers 404 and runs nothing",))


async def _test(cmd: CommandContext[Services], service: WebhookService, args: BoundArgs) -> Reply:
    cmd.skip_audit()
    name = _name(args.optional("name", str), required=True)
    endpoint = await service.store.named(cmd.chat.id, name)
    if endpoint is None:
        raise NotFound(f"no webhook named {name} posts to this chat — /webhook list shows them")
    if service.post is not None:
        await service.post(endpoint.chat, Reply(title=f"via webhook {name}", text=(
            "test: results of this webhook's commands appear here",)))
    state = "receiving" if service.enabled and endpoint.has_token else "not receiving (no URL yet or webhooks off)"
    return Reply(title=f"Webhook {name}: {state}", text=(
        f"commands run as {endpoint.creator_name}; a test message was posted in its chat",
        "try it: curl -d 'price EURUSD' <the URL>",
    ))


async def webhook_command(cmd: CommandContext[Services], args: BoundArgs) -> Reply | list[Reply]:
    service = _service(cmd)
    action = args.value("action", str)
    if action == "new":
        return await _new(cmd, service, args)
    if action == "token":
        return await _token(cmd, service, args)
    if action == "list":
        return await _list(cmd, service)
    if action == "revoke":
        return await _revoke(cmd, service, args)
    return await _test(cmd, service, args)


def register(registry: CommandRegistry[Services]) -> None:
    """Add /webhook."""
    registry.register(CommandSpec(
        name="webhook",
        aliases=(),
        summary="Webhooks: TradingView (or any sender) alerts run this chat's commands as you",
        usage=USAGE,
        examples=(EXAMPLE, "/webhook list", "/webhook token tv", "/webhook revoke tv", "/webhook test tv"),
        arguments=(
            Argument("action", ArgKind.CHOICE, choices=("new", "list", "revoke", "test", "token"),
                     help="new, list, revoke, test or token (a new URL, in a private chat)"),
            Argument("name", ArgKind.TEXT, required=False, max=32, help="the endpoint's name (default tv)"),
            Argument("secret", ArgKind.CHOICE, choices=("on", "off"), required=False, keyword=True,
                     help="on: the bot makes a shared secret the body must carry (shown in a private chat only)"),
            Argument("ips", ArgKind.TEXT, required=False, keyword=True, max=400,
                     help="sender IP allow-list, comma-separated"),
        ),
        permission=ADMIN,
        handler=webhook_command,
        state_changing=True,
        category="admin",
        details=("A request body is one or more command lines as typed here (buy EURUSD 0.1 sl=20p tp=40p) or "
                 'JSON {"command": "...", "id": "...", "secret": "..."}. Each command runs as the admin who '
                 "created the endpoint, in the chat it was created in, through the same access check (re-checked "
                 "at every request: a demoted admin's endpoints stop), audited 'via webhook NAME', with the "
                 "chat's confirmation policy. A request id (or the same body within 60 s) runs once."),
    ))
