"""The console adapter's line handling: button numbers from any typed text, masked echoes, prompt redraws,
images that never overwrite each other, and logs kept off the chat's terminal."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fxbot.adapters.console import ConsoleAdapter, free_path, match_button
from fxbot.adapters.console_terminal import PROMPT
from fxbot.chat.registry import CommandSpec
from fxbot.chat.types import Button, ButtonPress, IncomingCommand, PressResult, Reply
from fxbot.logging_setup import configure_logging, keep_logs_off_a_terminal_chat, log_to_file

BUTTONS = (Button("Confirm BUY", "confirm:1"), Button("Cancel", "cancel:1"))
KEY = "sk_live_" + "A1b2C3d4" * 4


class Terminal(io.StringIO):
    """A text stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


class RecordingHandler:
    """The dispatcher's port: records commands and presses; the first reply carries the buttons."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.presses: list[str] = []

    async def handle(self, command: IncomingCommand) -> list[Reply]:
        self.texts.append(command.text)
        return [Reply(text=("card",), buttons=BUTTONS)]

    async def press(self, press: ButtonPress) -> PressResult:
        self.presses.append(press.action)
        return PressResult(reply=Reply(text=("pressed",)), remove_buttons=False)

    def commands(self) -> list[CommandSpec[Any]]:
        return []


def _adapter(tmp_path: Path, handler: RecordingHandler, out: io.StringIO,
             on_end: Callable[[], None] = lambda: None) -> ConsoleAdapter:
    return ConsoleAdapter(handler, stdin=io.StringIO(""), stdout=out, images_dir=tmp_path / "img",
                          on_end_of_input=on_end, echo=True, user_name="tester")


@given(st.text(min_size=1, max_size=60) | st.from_regex(r"[0-9]{1,5000}", fullmatch=True)
       | st.sampled_from(["❹", "²", "١", "٣", "0", "3", "01", "１", "9" * 4301]))
def test_any_typed_text_names_a_button_or_nothing_and_never_raises(text: str) -> None:
    found = match_button(BUTTONS, text)
    assert found is None or found in BUTTONS
    if found is not None and text.isdecimal():
        assert text in ("1", "2", "01", "02", "001", "002")


def test_button_numbers_are_ascii_digits_only() -> None:
    assert match_button(BUTTONS, "2") is BUTTONS[1]
    assert match_button(BUTTONS, "❹") is None and match_button(BUTTONS, "²") is None
    assert match_button(BUTTONS, "１") is None  # a full-width digit is not a button number
    assert match_button(BUTTONS, "3") is None and match_button(BUTTONS, "0") is None
    assert match_button(BUTTONS, "confirm") is BUTTONS[0] and match_button(BUTTONS, "CANCEL") is BUTTONS[1]
    assert match_button((), "1") is None


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(["❹", "²", "٣", "9" * 4301, "1" + "0" * 5000]) | st.text(min_size=1, max_size=30))
def test_a_line_typed_while_buttons_show_gets_a_reply_not_a_failure(tmp_path: Path, text: str) -> None:
    async def scenario() -> str:
        handler = RecordingHandler()
        out = io.StringIO()
        console = _adapter(tmp_path, handler, out)
        await console._handle_line("/buy EURUSD 2")  # the card with its buttons
        await console._handle_line(text)
        return out.getvalue()

    out = asyncio.run(scenario())
    assert "Something went wrong" not in out


async def test_the_echo_of_a_line_never_shows_a_key(tmp_path: Path) -> None:
    out = io.StringIO()
    handler = RecordingHandler()
    console = _adapter(tmp_path, handler, out)
    await console._handle_line(f"/link {KEY} main")
    await console._handle_line("/link fxs_live_Zz9Yy8Xx7Ww6Vv5 other")
    printed = out.getvalue()
    assert "» /link sk_live_*** main" in printed and "» /link fxs_live_*** other" in printed
    assert KEY not in printed and "Zz9Yy8" not in printed
    assert handler.texts[0] == f"/link {KEY} main"  # the command itself still gets the key


async def test_a_notification_while_the_prompt_waits_redraws_the_prompt(tmp_path: Path) -> None:
    out = Terminal()
    console = ConsoleAdapter(RecordingHandler(), stdin=Terminal(""), stdout=out, images_dir=tmp_path,
                             on_end_of_input=lambda: None, echo=False, user_name="tester")

    class AtPrompt:
        at_prompt = True

    console._reader = AtPrompt()  # type: ignore[assignment]
    await console.send(console.chat, Reply(title="Position opened: EURUSD BUY 0.10 lot"))
    written = out.getvalue()
    assert written.startswith("\r\x1b[2K")  # the prompt line is cleared first
    assert written.endswith(PROMPT)  # and drawn again below the message
    assert "Position opened: EURUSD BUY 0.10 lot\n" in written


def test_images_never_overwrite_an_earlier_one(tmp_path: Path) -> None:
    first = free_path(tmp_path, "pnl.png")
    first.write_bytes(b"1")
    second = free_path(tmp_path, "pnl.png")
    second.write_bytes(b"2")
    assert (first.name, second.name, free_path(tmp_path, "pnl.png").name) == ("pnl.png", "pnl-2.png", "pnl-3.png")


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
        if handler not in handlers:
            handler.close()
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def test_in_a_terminal_logs_go_to_a_file_not_between_replies(
    tmp_path: Path, restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO")
    out = Terminal()
    console = ConsoleAdapter(RecordingHandler(), stdin=Terminal(""), stdout=out, images_dir=tmp_path,
                             on_end_of_input=lambda: None, log_file=tmp_path / "console.log", stderr=Terminal())
    console._keep_logs_off_the_terminal()
    logging.getLogger("fxbot.test").info("adapter started with key %s", KEY)
    assert f"(log messages go to {tmp_path / 'console.log'})" in out.getvalue()
    assert "adapter started" not in out.getvalue() and "adapter started" not in capsys.readouterr().err
    logged = (tmp_path / "console.log").read_text()
    assert "adapter started with key sk_live_***" in logged and KEY not in logged
    assert (tmp_path / "console.log").stat().st_mode & 0o077 == 0


def test_log_to_file_leaves_logging_alone_when_the_process_did_not_configure_it(
    tmp_path: Path, restore_logging: None
) -> None:
    root = logging.getLogger()
    for handler in [h for h in root.handlers if h.get_name() == "fxbot-stderr"]:
        root.removeHandler(handler)
    assert log_to_file(tmp_path / "x.log") is None
    assert not (tmp_path / "x.log").exists()


def test_logs_moved_before_start_up_are_announced_once_by_the_console(
    tmp_path: Path, restore_logging: None
) -> None:
    configure_logging("INFO")
    log_file = tmp_path / "early.log"
    moved = keep_logs_off_a_terminal_chat(log_file, stdin=Terminal(), stdout=Terminal(), stderr=Terminal())
    assert moved == log_file.resolve()
    logging.getLogger("fxbot.test").info("applied database migration 1")  # start-up, before the chat
    out = Terminal()
    console = ConsoleAdapter(RecordingHandler(), stdin=Terminal(""), stdout=out, images_dir=tmp_path,
                             on_end_of_input=lambda: None, log_file=tmp_path / "other.log", stderr=Terminal())
    console._keep_logs_off_the_terminal()
    assert out.getvalue() == f"(log messages go to {log_file.resolve()})\n"
    assert "applied database migration 1" in log_file.read_text()


def test_logs_stay_on_stderr_when_the_chat_is_not_in_a_terminal(tmp_path: Path, restore_logging: None) -> None:
    configure_logging("INFO")
    piped = io.StringIO()
    assert keep_logs_off_a_terminal_chat(tmp_path / "x.log", stdin=piped, stdout=Terminal(), stderr=Terminal()) is None
    assert not (tmp_path / "x.log").exists()
