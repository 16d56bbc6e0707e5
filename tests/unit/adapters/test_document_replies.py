"""A reply carrying a document (a CSV export): the console saves it and prints its path, Telegram renders a
sendDocument (caption from the text when it fits), Discord attaches the file."""

from __future__ import annotations

import io
from pathlib import Path

from fxbot.adapters.console import ConsoleAdapter
from fxbot.adapters.discord.render import render_reply as discord_render
from fxbot.adapters.telegram.render import PhotoMessage, TextMessage
from fxbot.adapters.telegram.render import render_reply as telegram_render
from fxbot.chat.types import Button, Document, Reply
from tests.unit.adapters.test_console_lines import RecordingHandler

CSV = Document(b"ticket,symbol\n1,EURUSD\n", "history-20260402.csv", caption="1 closed trade(s)",
               mime_type="text/csv")


async def test_the_console_saves_the_file_and_prints_its_path(tmp_path: Path) -> None:
    out = io.StringIO()
    console = ConsoleAdapter(RecordingHandler(), stdin=io.StringIO(""), stdout=out, images_dir=tmp_path / "files",
                             on_end_of_input=lambda: None, echo=False, user_name="tester")
    await console.send(console.chat, Reply(title="Export: history", text=("1 closed trade(s)",), document=CSV))
    saved = tmp_path / "files" / "history-20260402.csv"
    assert saved.read_bytes() == CSV.data
    assert f"file saved to {saved.resolve()}" in out.getvalue()


def test_telegram_sends_a_document_with_the_text_as_its_caption() -> None:
    (message,) = telegram_render(Reply(title="Export: history", text=("1 closed trade(s)",), document=CSV))
    assert isinstance(message, PhotoMessage) and message.as_document
    assert message.data == CSV.data and message.filename == CSV.filename
    assert message.caption_html is not None and "Export: history" in message.caption_html


def test_telegram_keeps_buttons_on_the_document_and_long_text_apart() -> None:
    buttons = (Button("Again", "/export history"),)
    messages = telegram_render(Reply(text=("x" * 2000,), document=CSV, buttons=buttons))
    assert isinstance(messages[0], PhotoMessage) and messages[0].as_document
    assert isinstance(messages[-1], TextMessage) and messages[-1].buttons == buttons


def test_discord_attaches_the_file_to_the_first_message() -> None:
    (message,) = discord_render(Reply(title="Export: history", text=("1 closed trade(s)",), document=CSV))
    (attached,) = message.files()
    assert attached.filename == CSV.filename
    assert attached.fp.read() == CSV.data
