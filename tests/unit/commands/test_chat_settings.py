"""The /settings reply and the reading of `confirm ...` values."""

from __future__ import annotations

import pytest

from fxbot.commands.chat_settings import parse_confirm, settings_reply
from fxbot.errors import UsageError
from fxbot.storage import ChatSettings


@pytest.mark.parametrize(("text", "expected"), [
    ("always", ("always", None)), ("NEVER", ("never", None)), ("above 0.5", ("above", 0.5)),
    ("sometimes", ("sometimes", None)),  # the service rejects unknown modes
])
def test_parse_confirm(text: str, expected: tuple[str, float | None]) -> None:
    assert parse_confirm(text) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("", "say when"), ("above", "needs one volume"), ("above 1 2", "needs one volume"),
    ("above x", "'x' is not a volume"), ("never ever", "takes nothing after it"),
    ("above sk_live_abcdefghijkl", "sk_live_"),
])
def test_parse_confirm_errors(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message) as caught:
        parse_confirm(text)
    assert "abcdefghijkl" not in caught.value.message


def test_settings_reply() -> None:
    group = settings_reply(ChatSettings(chat_id="g"), private=False, key_name=None, account_id=None)
    assert group.text[0] == "order confirmation: confirm every order (default for group chats)"
    assert group.text[1] == "time zone: UTC (default)"
    assert group.text[2] == "key: none — an admin runs /bind NAME"
    private = settings_reply(ChatSettings(chat_id="p", confirm_mode="above", confirm_above=0.5,
                                          timezone="Asia/Tokyo"), private=True, key_name="main", account_id=None)
    assert private.text[:4] == ("order confirmation: confirm orders above 0.50 lots", "time zone: Asia/Tokyo",
                                "key: main", "account: the key’s first account")
