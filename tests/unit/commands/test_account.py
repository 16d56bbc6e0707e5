"""The /account and /accounts replies."""

from __future__ import annotations

from fxbot.chat.types import ReplyKind
from fxbot.commands.account import account_label, account_reply, accounts_reply
from fxbot.domain.broker import Account
from fxbot.services.accounts import AccountChoice, AccountDetails
from tests.unit.services.fake_chat_broker import ACCOUNTS


def test_account_reply_shows_every_figure() -> None:
    account = Account(id="acc_8xKm2", balance=10_000, equity=10_050.5, margin=108.34, free_margin=9_942.16,
                      currency="USD", margin_level=9277.43, leverage=100, profit=50.5)
    reply = account_reply(AccountDetails(account=account, summary=ACCOUNTS[0]))
    assert reply.title == "Account acc_8xKm2 (login 51234567, ICMarkets MT5)"
    assert reply.text == (
        "Balance: 10,000.00 USD", "Equity: 10,050.50 USD", "Margin: 108.34 USD", "Free margin: 9,942.16 USD",
        "Margin level: 9,277.4%", "Floating P&L (net: profit + commission + swap): +50.50 USD", "Leverage: 1:100",
        "Currency: USD",
    )
    assert reply.kind is ReplyKind.INFO


def test_account_reply_without_margin_and_disconnected() -> None:
    account = Account(id="acc_4pQr7", balance=5000, equity=5000, margin=0, free_margin=5000, currency="EUR")
    reply = account_reply(AccountDetails(account=account, summary=ACCOUNTS[1]))
    assert reply.kind is ReplyKind.WARNING and "disconnected" in reply.text[0]
    assert "Margin level: — (no open positions)" in reply.text and "Leverage: —" in reply.text


def test_accounts_reply_marks_the_selected_account() -> None:
    reply = accounts_reply(AccountChoice(accounts=tuple(ACCOUNTS), selected_id="acc_4pQr7", explicitly_chosen=True))
    assert reply.table is not None
    assert [row[7] for row in reply.table.rows] == ["", "◀ this chat"]
    assert all(reply.table.headers) and reply.table.headers[7] == "In use"  # every column is labelled
    assert "chosen with /use" in reply.text[0]
    assert account_label(ACCOUNTS[1]) == "acc_4pQr7 (login 7654321, Pepperstone MT4)"
    empty = accounts_reply(AccountChoice(accounts=(), selected_id=None, explicitly_chosen=False))
    assert empty.kind is ReplyKind.WARNING
