"""Account commands: /account (the chat's figures), /accounts (every account of the key), /use (pick one)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fxbot.chat.argument_types import ArgKind, Argument, BoundArgs
from fxbot.chat.context import CommandContext
from fxbot.chat.registry import CommandRegistry, CommandSpec, Permission
from fxbot.chat.types import Reply, ReplyKind, Table
from fxbot.commands.trading_tables import floating_amounts
from fxbot.domain.access import Role, Scope
from fxbot.domain.broker import AccountSummary
from fxbot.domain.formatting import format_money, format_percent, format_signed_money
from fxbot.services.accounts import AccountChoice, AccountDetails

if TYPE_CHECKING:
    from fxbot.services.container import Services

READ = Permission(scope=Scope.READ_ONLY, role=Role.VIEWER)
# Which account a shared chat trades is significant: only a chat admin changes it (in a private chat the
# owner is the admin).
CHOOSE = Permission(scope=Scope.READ_ONLY, role=Role.ADMIN)
CATEGORY = "account"


def account_label(summary: AccountSummary) -> str:
    """ "acc_8xKm2 (login 51234567, ICMarkets MT5)"."""
    login = f"login {summary.login}, " if summary.login is not None else ""
    return f"{summary.id} ({login}{summary.broker} {summary.platform})"


def account_reply(details: AccountDetails) -> Reply:
    """Balance, equity, margin, free margin, margin level, profit, leverage and currency."""
    a = details.account
    ccy = a.currency
    rows = (
        ("Balance", format_money(a.balance, ccy)),
        ("Equity", format_money(a.equity, ccy)),
        ("Margin", format_money(a.margin, ccy)),
        ("Free margin", format_money(a.free_margin, ccy)),
        (
            "Margin level",
            format_percent(a.margin_level) if a.margin_level is not None else "— (no open positions)",
        ),
        ("Floating P&L (net: profit + commission + swap)", _floating_text(details, ccy)),
        ("Leverage", f"1:{a.leverage}" if a.leverage else "—"),
        ("Currency", ccy),
    )
    text = [f"{label}: {value}" for label, value in rows]
    kind = ReplyKind.INFO
    title = f"Account {a.id}"
    if details.summary is not None:
        title = f"Account {account_label(details.summary)}"
        if details.summary.status != "connected":
            kind = ReplyKind.WARNING
            text.insert(0, f"the account is {details.summary.status} — these are the last known figures")
    return Reply(title=title, text=tuple(text), kind=kind)


def _floating_text(details: AccountDetails, ccy: str) -> str:
    """The open positions' net floating P&L and its parts (FxSocket's own figure when positions are unknown)."""
    if details.floating is None:
        return format_signed_money(details.account.profit, ccy)
    if details.floating.positions == 0:
        return f"{format_signed_money(0.0, ccy)} (no open positions)"
    return floating_amounts(details.floating, ccy)


def accounts_reply(choice: AccountChoice) -> Reply:
    """Every account the chat's key reaches, numbered, with the one this chat uses marked."""
    if not choice.accounts:
        return Reply(
            title="Accounts", text=("this chat's key reaches no trading account",), kind=ReplyKind.WARNING
        )
    rows = tuple(
        (
            str(n),
            s.id,
            "—" if s.login is None else str(s.login),
            s.broker,
            s.platform,
            s.currency or "—",
            s.status,
            "◀ this chat" if s.id == choice.selected_id else "",
        )
        for n, s in enumerate(choice.accounts, start=1)
    )
    how = "chosen with /use" if choice.explicitly_chosen else "the key's first account"
    return Reply(
        title="Accounts",
        table=Table(
            headers=("#", "Id", "Login", "Broker", "Platform", "Currency", "Status", "In use"),
            rows=rows,
            align=("r", "l", "r", "l", "l", "l", "l", "l"),
        ),
        text=(f"this chat uses {choice.selected_id} ({how}); /use NUMBER|ID|LOGIN switches",),
    )


async def account_command(cmd: CommandContext[Services], args: BoundArgs) -> Reply:
    return account_reply(await cmd.services.accounts.details(cmd.chat.id))


async def accounts_command(cmd: CommandContext[Services], args: BoundArgs) -> Reply:
    return accounts_reply(await cmd.services.accounts.choices(cmd.chat.id))


async def use_command(cmd: CommandContext[Services], args: BoundArgs) -> Reply:
    chosen = await cmd.services.accounts.use(cmd.chat.id, args.text("account"))
    lines = [f"this chat now uses {account_label(chosen)}"]
    kind = ReplyKind.OK
    if chosen.status != "connected":
        lines.append(f"note: the account is {chosen.status} right now")
        kind = ReplyKind.WARNING
    return Reply(text=tuple(lines), kind=kind)


def register(registry: CommandRegistry[Services]) -> None:
    """Add /account, /accounts and /use."""
    registry.register(
        CommandSpec(
            name="account",
            aliases=("balance",),
            summary="Balance, equity, margin and P&L of this chat's account",
            usage="/account",
            examples=("/account",),
            arguments=(),
            permission=READ,
            handler=account_command,
            category=CATEGORY,
        )
    )
    registry.register(
        CommandSpec(
            name="accounts",
            aliases=(),
            summary="Every account this chat's key reaches, and which one the chat uses",
            usage="/accounts",
            examples=("/accounts",),
            arguments=(),
            permission=READ,
            handler=accounts_command,
            category=CATEGORY,
        )
    )
    registry.register(
        CommandSpec(
            name="use",
            aliases=(),
            summary="Choose which account this chat trades (by number, id or login)",
            usage="/use ACCOUNT",
            examples=("/use 2", "/use acc_8xKm2"),
            arguments=(
                Argument(
                    "account", ArgKind.TEXT, help="a number from /accounts, an account id or a login", max=64
                ),
            ),
            permission=CHOOSE,
            handler=use_command,
            state_changing=True,
            category=CATEGORY,
        )
    )
