"""The /settings command: show this chat's settings, or (admins) change order confirmation and time zone."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fxbot.chat.access import check_access
from fxbot.chat.argument_types import ArgKind, Argument, BoundArgs
from fxbot.chat.context import CommandContext
from fxbot.chat.registry import CommandRegistry, CommandSpec, Permission
from fxbot.chat.types import Reply, ReplyKind
from fxbot.commands.guard import with_guard_summary
from fxbot.commands.manage_orders import set_managed_default, with_managed_defaults
from fxbot.domain.access import Role
from fxbot.domain.redaction import redact_secrets
from fxbot.errors import UsageError
from fxbot.services.chat_settings import CONFIRM_USAGE, DEFAULT_TIMEZONE, TIMEZONE_USAGE
from fxbot.services.trading_policy import describe_policy
from fxbot.storage import ChatSettings

if TYPE_CHECKING:
    from fxbot.services.container import Services

# Anyone in the chat may read the settings; changing them needs CHANGE (checked in the handler with the
# same check_access the dispatcher uses, because one command both reads and writes).
SHOW = Permission(scope=None, role=Role.VIEWER, needs_binding=False)
CHANGE = Permission(scope=None, role=Role.ADMIN, needs_binding=False)
SETTINGS_USAGE = "/settings [confirm always|never|above VOLUME] [timezone Area/City] [trail|be PIPS|off]"


def settings_reply(
    settings: ChatSettings, *, private: bool, key_name: str | None, account_id: str | None
) -> Reply:
    lines = [
        f"order confirmation: {describe_policy(settings, private_chat=private)}",
        f"time zone: {settings.timezone or DEFAULT_TIMEZONE}" + ("" if settings.timezone else " (default)"),
        f"key: {key_name}"
        if key_name
        else "key: none — " + ("/link KEY" if private else "an admin runs /bind NAME"),
    ]
    if key_name:
        lines.append(f"account: {account_id or 'the key’s first account'}")
    lines.append(f"change: {CONFIRM_USAGE} · {TIMEZONE_USAGE}")
    return Reply(title="Settings", text=tuple(lines))


def parse_confirm(value: str) -> tuple[str, float | None]:
    """ "always" / "never" / "above 0.5" -> (mode, volume)."""
    words = value.split()
    if not words:
        raise UsageError(
            "say when orders need confirmation: always, never or above VOLUME",
            usage=CONFIRM_USAGE,
            example="/settings confirm above 1",
        )
    mode = words[0].lower()
    if mode == "above":
        if len(words) != 2:
            raise UsageError(
                "'above' needs one volume in lots", usage=CONFIRM_USAGE, example="/settings confirm above 0.5"
            )
        try:
            return mode, float(words[1])
        except ValueError:
            raise UsageError(
                f"'{redact_secrets(words[1][:24])}' is not a volume in lots",
                usage=CONFIRM_USAGE,
                example="/settings confirm above 0.5",
            ) from None
    if len(words) > 1:
        raise UsageError(f"'{mode}' takes nothing after it", usage=CONFIRM_USAGE)
    return mode, None


async def settings_command(cmd: CommandContext[Services], args: BoundArgs) -> Reply:
    what = args.optional("what", str)
    value = (args.optional("value", str) or "").strip()
    service = cmd.services.chat_settings
    if what is None:
        cmd.skip_audit()  # showing changes nothing
        settings = await service.get(cmd.chat.id)
        reply = await with_managed_defaults(cmd, settings_reply(
            settings, private=cmd.chat.is_private, key_name=cmd.ctx.key_name, account_id=cmd.ctx.account_id
        ))
        return await with_guard_summary(cmd, reply) if cmd.ctx.key_name else reply
    denial = check_access(CHANGE, cmd.ctx, "settings")
    if denial is not None:
        raise denial
    if what in ("trail", "be"):  # managed-stop defaults for market orders
        return await set_managed_default(cmd, what, value)
    if what == "confirm":
        mode, above = parse_confirm(value)
        settings = await service.set_confirm(cmd.chat.id, mode, above)
        return Reply(
            kind=ReplyKind.OK,
            text=(f"order confirmation: {describe_policy(settings, private_chat=cmd.chat.is_private)}",),
        )
    if not value or len(value.split()) != 1:
        raise UsageError(
            "give one IANA time zone name", usage=TIMEZONE_USAGE, example="/settings timezone Europe/Berlin"
        )
    settings = await service.set_timezone(cmd.chat.id, value)
    return Reply(kind=ReplyKind.OK, text=(f"time zone: {settings.timezone} — times are now shown in it",))


def register(registry: CommandRegistry[Services]) -> None:
    """Add /settings."""
    registry.register(
        CommandSpec(
            name="settings",
            aliases=(),
            summary="Show this chat's settings; admins change confirmation and time zone",
            usage=SETTINGS_USAGE,
            examples=("/settings", "/settings confirm above 0.5", "/settings timezone Europe/Berlin"),
            arguments=(
                Argument(
                    "what",
                    ArgKind.CHOICE,
                    required=False,
                    choices=("confirm", "timezone", "trail", "be"),
                    help="confirm, timezone, trail or be (leave out to show the settings)",
                ),
                Argument(
                    "value",
                    ArgKind.TEXT,
                    required=False,
                    max=64,
                    help="always | never | above VOLUME, an IANA zone like Europe/London, or PIPS|off",
                ),
            ),
            permission=SHOW,
            handler=settings_command,
            state_changing=True,
            category="settings",
            details="Changing a setting needs a chat admin (in a private chat, its owner).",
        )
    )
