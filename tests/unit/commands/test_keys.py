"""The key command replies and the NAME/SCOPE reading of /link."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fxbot.commands.keys import bind_reply, keys_reply, link_reply, split_name_and_scope, unlink_reply
from fxbot.domain.access import Scope
from fxbot.errors import UsageError
from fxbot.services.keys import BindResult, KeyUsage, LinkResult
from fxbot.storage import StoredKey
from tests.unit.services.fake_chat_broker import ACCOUNTS

KEY = StoredKey(id=1, owner_id="telegram:1", name="desk", scope=Scope.TRADE, fingerprint="sk_test_…wxyz",
                created_at=datetime(2026, 4, 2, tzinfo=UTC))


@pytest.mark.parametrize(("name", "scope", "expected"), [
    (None, None, (None, None)),
    ("desk", None, ("desk", None)),
    ("full", None, (None, Scope.FULL)),
    ("read-only", None, (None, Scope.READ_ONLY)),
    ("desk", Scope.FULL, ("desk", Scope.FULL)),
])
def test_a_scope_word_in_the_name_position_is_the_scope(name: str | None, scope: Scope | None,
                                                        expected: tuple[str | None, Scope | None]) -> None:
    assert split_name_and_scope(name, scope) == expected


def test_a_scope_word_cannot_be_a_name() -> None:
    with pytest.raises(UsageError, match="is a scope"):
        split_name_and_scope("trade", Scope.FULL)


def test_link_reply_shows_the_fingerprint() -> None:
    reply = link_reply(LinkResult(key=KEY, accounts=tuple(ACCOUNTS), bound_here=True))
    assert reply.text[0] == ("linked key 'desk' (sk_test_…wxyz), scope trade — FxSocket accepted it "
                             "(2 trading accounts)")
    assert "this chat now uses it" in reply.text[1]
    other = link_reply(LinkResult(key=KEY, accounts=tuple(ACCOUNTS[:1]), bound_here=False))
    assert "1 trading account)" in other.text[0] and other.text[1].startswith("/bind desk")
    rescoped = link_reply(LinkResult(key=KEY, accounts=(), bound_here=False, updated_scope_from=Scope.FULL))
    assert rescoped.text == ("key 'desk' (sk_test_…wxyz) is now declared trade (it was full)",)


def test_keys_unlink_and_bind_replies() -> None:
    listed = keys_reply([KeyUsage(key=KEY, chats=("telegram:1", "telegram:-100"))])
    assert listed.table is not None and listed.table.rows == (
        ("desk", "trade", "sk_test_…wxyz", "telegram:1, telegram:-100"),)
    assert "no linked key" in keys_reply([]).text[0]
    assert unlink_reply(KeyUsage(key=KEY, chats=("telegram:-100",))).text[1].startswith("1 chat(s) no longer")
    group = bind_reply(BindResult(key=KEY, accounts=tuple(ACCOUNTS), previous="old", made_admin=True), private=False)
    assert "it replaces 'old'" in group.text and any("you are an admin" in line for line in group.text)
    private = bind_reply(BindResult(key=KEY, accounts=tuple(ACCOUNTS), previous=None, made_admin=False),
                         private=True)
    assert len(private.text) == 1
