"""Key commands: /link (store a validated key, private chats only), /keys, /unlink, /bind (a chat uses a key).

Replies show a key's name, scope and masked fingerprint — never the key itself. Linking an `fxs_live_…` key
warns that it is the account owner's master key and suggests a read-only `fxs_ro_…` key for watching chats.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fxbot.chat.argument_types import ArgKind, Argument, BoundArgs
from fxbot.chat.context import CommandContext
from fxbot.chat.registry import CommandRegistry, CommandSpec, Permission
from fxbot.chat.types import Reply, ReplyKind, Table
from fxbot.domain.access import Role, Scope
from fxbot.domain.key_scopes import LIVE_PREFIX, READ_ONLY_PREFIX, KeyScopes
from fxbot.errors import UsageError
from fxbot.services.brokers import LINK_USAGE
from fxbot.services.keys import DEFAULT_SCOPE, BindResult, KeyUsage, LinkResult

if TYPE_CHECKING:
    from fxbot.services.container import Services

# Anyone may manage their own keys, but only in a private chat with the bot (keys are secrets).
OWN_KEYS = Permission(scope=None, role=Role.VIEWER, private_only=True, needs_binding=False)
# Choosing a chat's key: the admin (in a private chat the owner; in a group with no fxbot admin yet, see
# fxbot/services/chat_context.py for who counts as admin).
BIND = Permission(scope=None, role=Role.ADMIN, needs_binding=False)
CATEGORY = "keys"
_SCOPE_WORDS = {
    "read-only": Scope.READ_ONLY,
    "readonly": Scope.READ_ONLY,
    "read_only": Scope.READ_ONLY,
    "trade": Scope.TRADE,
    "full": Scope.FULL,
}
LIVE_KEY_WARNING = (
    f"warning: an {LIVE_PREFIX}… key is the account owner's master key — besides trading it can create and "
    "delete accounts, spend the FxSocket wallet and read every read-only key. For a chat that only watches, "
    f"create a read-only key ({READ_ONLY_PREFIX}…) in FxSocket and /link that instead"
)
KEY_KINDS_DETAILS = (
    "Two kinds of FxSocket key work: sk_live_… keys of the /v1 API (FxSocket does not reveal their scope, so "
    "you declare it; default trade) and the terminal API's keys — fxs_ro_… (read-only: linking one as trade "
    "or full is refused) and fxs_live_… (the account owner's master key: full, or capped with trade or "
    "read-only). Prefer an fxs_ro_… key for chats that only watch."
)


def _accounts_text(result_accounts: int) -> str:
    return "1 trading account" if result_accounts == 1 else f"{result_accounts} trading accounts"


def _scope_lines(scopes: KeyScopes, scope: Scope, name: str) -> list[str]:
    """What the stored scope means for this kind of key (and the master-key warning for a live key)."""
    if scopes.is_read_only:
        return [f"an {READ_ONLY_PREFIX}… key is read-only: chats using it see quotes, positions, history, alerts "
                "and digests, and never trade"]
    if scopes.is_live:
        if scope is Scope.FULL:
            cap = (f"to cap what fxbot does with it, link it again with a scope: /link {LIVE_PREFIX}… {name} trade "
                   "(or read-only)")
        else:
            cap = f"fxbot keeps it to {scope.value} (the key itself can do everything)"
        return [LIVE_KEY_WARNING, cap]
    if scope is not Scope.FULL:
        return ["the scope is what you declared (FxSocket does not reveal it); if FxSocket refuses "
                "something, fxbot lowers it"]
    return []


def link_reply(result: LinkResult) -> Reply:
    key = result.key
    warn = ReplyKind.WARNING if result.scopes.is_live else ReplyKind.OK
    if result.updated_scope_from is not None:
        line = (f"key '{key.name}' ({key.fingerprint}) is now declared {key.scope.value} "
                f"(it was {result.updated_scope_from.value})")
        extra = _scope_lines(result.scopes, key.scope, key.name) if result.scopes.revealed else []
        return Reply(kind=warn, text=(line, *extra))
    lines = [
        f"linked key '{key.name}' ({key.fingerprint}), scope {key.scope.value} — FxSocket accepted it "
        f"({_accounts_text(len(result.accounts))})",
    ]
    if result.bound_here:
        lines.append("this chat now uses it; /account shows the account")
    else:
        lines.append(
            f"/bind {key.name} makes this chat use it; in a group, an admin runs /bind {key.name} there"
        )
    lines.extend(_scope_lines(result.scopes, key.scope, key.name))
    return Reply(kind=warn, text=tuple(lines))


def keys_reply(usages: list[KeyUsage]) -> Reply:
    if not usages:
        return Reply(title="Your keys", text=(f"you have no linked key — {LINK_USAGE} (here, in private)",))
    rows = tuple(
        (u.key.name, u.key.scope.value, u.key.fingerprint, ", ".join(u.chats) if u.chats else "—")
        for u in usages
    )
    return Reply(
        title="Your keys", table=Table(headers=("Name", "Scope", "Fingerprint", "Used by chats"), rows=rows)
    )


def unlink_reply(removed: KeyUsage) -> Reply:
    lines = [f"removed key '{removed.key.name}' ({removed.key.fingerprint})"]
    if removed.chats:
        lines.append(f"{len(removed.chats)} chat(s) no longer have a key: {', '.join(removed.chats)}")
    return Reply(kind=ReplyKind.OK, text=tuple(lines))


def bind_reply(result: BindResult, *, private: bool) -> Reply:
    key = result.key
    lines = [
        f"this chat now uses key '{key.name}' ({key.fingerprint}, {key.scope.value}) — "
        f"{_accounts_text(len(result.accounts))}"
    ]
    if result.previous:
        lines.append(f"it replaces '{result.previous}'")
    if not private:
        if result.made_admin:
            lines.append("you are an admin of this chat; others start as viewers — /role @user trader|admin")
        lines.append("/members lists people; /settings shows this chat's settings")
    return Reply(kind=ReplyKind.OK, text=tuple(lines))


def split_name_and_scope(name: str | None, scope: Scope | None) -> tuple[str | None, Scope | None]:
    """`/link KEY full` names no key: a scope word in the NAME position is the scope."""
    if name is not None and scope is None and name.lower() in _SCOPE_WORDS:
        return None, _SCOPE_WORDS[name.lower()]
    if name is not None and name.lower() in _SCOPE_WORDS:
        raise UsageError(f"'{name}' is a scope, not a key name — pick another name", usage=LINK_USAGE)
    return name, scope


async def link_command(cmd: CommandContext[Services], args: BoundArgs) -> Reply:
    name, scope = split_name_and_scope(args.optional("name", str), args.optional("scope", Scope))
    result = await cmd.services.keys.link(
        owner_id=cmd.user.id,
        secret=args.text("key"),
        name=name,
        scope=scope,
        private_chat_id=cmd.chat.id if cmd.chat.is_private else None,
    )
    return link_reply(result)


async def keys_command(cmd: CommandContext[Services], args: BoundArgs) -> Reply:
    return keys_reply(await cmd.services.keys.keys(cmd.user.id))


async def unlink_command(cmd: CommandContext[Services], args: BoundArgs) -> Reply:
    return unlink_reply(await cmd.services.keys.unlink(cmd.user.id, args.text("name")))


async def bind_command(cmd: CommandContext[Services], args: BoundArgs) -> Reply:
    result = await cmd.services.keys.bind(cmd.chat, cmd.user, args.text("name"))
    return bind_reply(result, private=cmd.chat.is_private)


def register(registry: CommandRegistry[Services]) -> None:
    """Add /link, /keys, /unlink and /bind."""
    registry.register(
        CommandSpec(
            name="link",
            aliases=(),
            summary="Store your FxSocket API key (private chat only; checked with FxSocket)",
            usage=LINK_USAGE,
            examples=("/link sk_live_… main trade", "/link fxs_ro_… watch", "/link fxs_live_… desk trade"),
            arguments=(
                Argument("key", ArgKind.TEXT, help="your FxSocket API key (sk_live_…, fxs_ro_… or fxs_live_…)",
                         max=512),
                Argument(
                    "name", ArgKind.KEY_NAME, required=False, help="a short name for it (default: main)"
                ),
                Argument(
                    "scope",
                    ArgKind.SCOPE,
                    required=False,
                    help=f"read-only, trade or full (default: {DEFAULT_SCOPE.value}; fxs_ro_ keys: read-only; "
                         "fxs_live_: full)",
                ),
            ),
            permission=OWN_KEYS,
            handler=link_command,
            state_changing=True,
            sensitive=True,
            category=CATEGORY,
            details="The key is encrypted at rest and never shown again; replies show its fingerprint. "
            "The first key you link becomes this private chat's key. " + KEY_KINDS_DETAILS,
        )
    )
    registry.register(
        CommandSpec(
            name="keys",
            aliases=(),
            summary="Your linked keys: names, scopes, fingerprints and the chats using them",
            usage="/keys",
            examples=("/keys",),
            arguments=(),
            permission=OWN_KEYS,
            handler=keys_command,
            category=CATEGORY,
        )
    )
    registry.register(
        CommandSpec(
            name="unlink",
            aliases=(),
            summary="Delete one of your keys (chats using it lose it)",
            usage="/unlink NAME",
            examples=("/unlink main",),
            arguments=(Argument("name", ArgKind.KEY_NAME, help="the key's name from /keys"),),
            permission=OWN_KEYS,
            handler=unlink_command,
            state_changing=True,
            category=CATEGORY,
        )
    )
    registry.register(
        CommandSpec(
            name="bind",
            aliases=(),
            summary="Make this chat use one of your linked keys (groups: you become admin)",
            usage="/bind NAME",
            examples=("/bind main",),
            arguments=(Argument("name", ArgKind.KEY_NAME, help="one of your keys from /keys"),),
            permission=BIND,
            handler=bind_command,
            state_changing=True,
            category=CATEGORY,
        )
    )
