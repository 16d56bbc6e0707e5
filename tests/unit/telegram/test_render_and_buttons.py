"""Telegram HTML rendering and splitting, callback tokens, update routing, menus and settings."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fxbot.adapters.telegram.buttons import ButtonBook
from fxbot.adapters.telegram.menu import menus
from fxbot.adapters.telegram.render import PhotoMessage, TextMessage, render_reply
from fxbot.adapters.telegram.settings import TelegramSettings
from fxbot.adapters.telegram.updates import addressed_to_other_bot, should_route, telegram_id
from fxbot.chat.confirmations import ConfirmationBook
from fxbot.chat.dispatcher import Dispatcher
from fxbot.chat.registry import CommandRegistry
from fxbot.chat.types import Button, Image, Reply, ReplyKind, Table
from fxbot.commands.catalog import register_all

_TAG = re.compile(r"</?(b|pre)>")


def _visible(markup: str) -> str:
    return html.unescape(_TAG.sub("", markup))


@given(st.lists(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=300),
                min_size=1, max_size=60),
       st.integers(min_value=40, max_value=400))
def test_split_keeps_every_character_within_the_limit_and_entities_whole(blocks: list[str], limit: int) -> None:
    from fxbot.adapters.telegram.render import _segments, split_html

    reply = Reply(text=tuple(blocks))
    parts = split_html(_segments(reply), limit)
    assert all(len(p) <= limit for p in parts)
    for part in parts:
        assert not re.search(r"&[a-z#0-9]*$", part)  # never cut inside an entity
    expected = "".join(line for block in blocks if block for line in block.split("\n"))
    assert "".join(_visible(p).replace("\n", "") for p in parts) == expected.replace("\n", "")


def test_title_text_and_table_are_escaped_and_tables_preformatted() -> None:
    reply = Reply(title="<script>", text=("a & b",), table=Table(("k", "v"), (("<x>", "1"),)), kind=ReplyKind.ERROR)
    (message,) = render_reply(reply)
    assert isinstance(message, TextMessage)
    assert message.html.startswith("⛔ <b>&lt;script&gt;</b>\na &amp; b\n<pre>")
    assert "&lt;x&gt;" in message.html and message.html.endswith("</pre>")


def test_photo_caption_is_the_text_when_short_and_buttons_go_last() -> None:
    reply = Reply(text=("short",), image=Image(b"png", "c.png", "cap"), buttons=(Button("OK", "/ok"),))
    (photo,) = render_reply(reply)
    assert isinstance(photo, PhotoMessage) and photo.caption_html == "short" and photo.buttons
    long_reply = Reply(text=("y" * 2000,), image=Image(b"png", "c.png", "cap <1>"), buttons=(Button("OK", "/ok"),))
    first, second = render_reply(long_reply)
    assert isinstance(first, PhotoMessage) and first.caption_html == "cap &lt;1&gt;" and not first.buttons
    assert isinstance(second, TextMessage) and second.buttons


def test_button_tokens_are_short_chat_bound_and_expire() -> None:
    now = [0.0]
    book = ButtonBook(ttl_s=10, clock=lambda: now[0])
    token = book.token_for("/close pos_123456789012345678901234567890", "telegram:1")
    assert len(token.encode()) <= 64
    assert book.resolve(token, "telegram:2") is None
    assert book.resolve(token, "telegram:1") == "/close pos_123456789012345678901234567890"
    book.move_chat("telegram:1", "telegram:-100")
    assert book.resolve(token, "telegram:-100") is not None
    now[0] = 11
    assert book.resolve(token, "telegram:-100") is None
    assert book.resolve(None, "telegram:1") is None


def test_keyboard_rows_and_labels() -> None:
    markup = ButtonBook().keyboard([Button("Confirm BUY", "cf:x"), Button("Cancel", "cx:x"), Button("More", "/m")],
                                   "telegram:1")
    assert [[b.text for b in row] for row in markup.inline_keyboard] == [["Confirm BUY", "Cancel"], ["More"]]


@pytest.mark.parametrize(("text", "private", "edited", "routed"), [
    ("/help", False, False, True),
    ("/help@fxbot_test_bot", False, False, True),
    ("/help@OtherBot", False, False, False),
    ("hello team", False, False, False),
    ("hello bot", True, False, True),
    ("my key sk_live_abcdef123456", False, False, True),
    ("my key sk_live_abcdef123456", False, True, True),
    ("/help", True, True, False),
    ("   ", True, False, False),
])
def test_routing(text: str, private: bool, edited: bool, routed: bool) -> None:
    assert should_route(text, private=private, edited=edited, bot_username="fxbot_test_bot") is routed


def test_ids_and_mentions() -> None:
    assert telegram_id("telegram:-100123") == -100123
    with pytest.raises(ValueError):
        telegram_id("discord:1")
    assert addressed_to_other_bot("/x@Fxbot_Test_Bot", "fxbot_test_bot") is False


def _registry_specs() -> list[Any]:
    registry: CommandRegistry[Any] = CommandRegistry()
    register_all(registry)
    return Dispatcher(registry, None, None, known_symbols=[], confirmations=ConfirmationBook(),  # type: ignore[arg-type]
                      clock=lambda: None).commands()  # type: ignore[arg-type,return-value]


def test_menus_per_scope() -> None:
    lists = menus(_registry_specs())
    private = [c.command for c in lists["private"]]
    assert "link" in private and "link" not in [c.command for c in lists["group_admins"]]
    assert {c.command for c in lists["group"]} <= {c.command for c in lists["group_admins"]}
    assert all(len(c.description) <= 256 for scope in lists.values() for c in scope)


def test_settings() -> None:
    settings = TelegramSettings.model_validate({"token": "123:abc", "base_url": "http://localhost:8081/"})
    assert settings.api_base_url() == "http://localhost:8081/bot"
    assert settings.file_base_url() == "http://localhost:8081/file/bot"
    assert "123:abc" not in repr(settings)
    with pytest.raises(ValueError, match="bot token"):
        TelegramSettings.model_validate({"token": "nonsense"})
    with pytest.raises(ValueError, match="webhook_secret"):
        TelegramSettings.model_validate({"token": "1:a", "webhook_url": "https://x.example/hook"})
    with pytest.raises(ValueError, match="https"):
        TelegramSettings.model_validate({"token": "1:a", "webhook_url": "http://x.example/hook", "webhook_secret": "s"})
