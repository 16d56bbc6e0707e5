"""Console chat adapter: one message per stdin line, replies on stdout, buttons answered by number or label.

Reading the terminal (the stdin thread, the prompt, readline) is in console_terminal.py."""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from pydantic import BaseModel, ConfigDict, SecretStr

from fxbot.adapters.console_terminal import PROMPT, LineReader, enable_line_editing, save_history, typed_so_far
from fxbot.adapters.text_render import render_reply_text
from fxbot.chat.adapter import CommandHandlerPort
from fxbot.chat.types import Button, ButtonPress, ChatKind, ChatRef, ChatUser, IncomingCommand, Reply
from fxbot.domain.access import Scope
from fxbot.domain.redaction import redact_secrets
from fxbot.logging_setup import TERMINAL_CHAT_LOG, keep_logs_off_a_terminal_chat
from fxbot.notify.pacing import PacingLimits
from fxbot.plugins import AdapterRuntime, PlatformFacts
from fxbot.services.console_key import CONSOLE_CHAT_ID, CONSOLE_USER_ID

log = logging.getLogger(__name__)

MAX_BUTTON_DIGITS = 3  # a button number; longer digit strings are never parsed (int() of 4,301+ digits fails)


class ConsoleSettings(BaseModel):
    """The `console:` section: the local user's FxSocket key and where images go."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    api_key: SecretStr | None = None
    scope: Scope = Scope.TRADE
    key_name: str = "console"
    images_dir: Path = Path("charts")
    echo: bool | None = None  # echo each input line when stdin is not a terminal (default: yes)
    log_file: Path = TERMINAL_CHAT_LOG  # where logs go while the chat is in a terminal (they share it otherwise)


class ConsoleAdapter:
    """A private chat of the local user (an admin of it), driven from a terminal or a pipe."""

    name = "console"

    def __init__(
        self,
        handler: CommandHandlerPort,
        *,
        stdin: TextIO,
        stdout: TextIO,
        images_dir: Path,
        on_end_of_input: Callable[[], None],
        settle: Callable[[str], Awaitable[None]] | None = None,
        echo: bool | None = None,
        user_name: str | None = None,
        log_file: Path = TERMINAL_CHAT_LOG,
        stderr: TextIO | None = None,
    ) -> None:
        self._handler = handler
        self._stdin = stdin
        self._stdout = stdout
        self._images_dir = images_dir
        self._on_end = on_end_of_input
        self._settle = settle
        self._interactive = stdin.isatty() and stdout.isatty()
        self._echo = (not self._interactive) if echo is None else echo
        self._log_file = log_file
        self._stderr = stderr
        self._buttons: tuple[Button, ...] = ()
        self._task: asyncio.Task[None] | None = None
        self._reader: LineReader | None = None
        self._write_lock = asyncio.Lock()
        self.chat = ChatRef(id=CONSOLE_CHAT_ID, kind=ChatKind.PRIVATE, platform="console", title="console")
        self.user = ChatUser(id=CONSOLE_USER_ID, display_name=user_name or _local_name(), is_platform_admin=True)

    async def start(self) -> None:
        if self._interactive:
            enable_line_editing()
            self._keep_logs_off_the_terminal()
        reader = LineReader(self._stdin, self._interactive)
        self._reader = reader
        reader.start()
        self._task = asyncio.create_task(self._serve(reader), name="console-adapter")

    async def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._interactive:
            save_history()

    async def send(self, chat: ChatRef, reply: Reply) -> str | None:
        """Print a reply or notification (the console has one chat, so `chat` is informational)."""
        await self._write(reply)
        return None

    def _keep_logs_off_the_terminal(self) -> None:
        """The chat owns the terminal: log records go to a file, never between replies (said once, here)."""
        stderr = self._stderr if self._stderr is not None else sys.stderr
        path = keep_logs_off_a_terminal_chat(self._log_file, stdin=self._stdin, stdout=self._stdout, stderr=stderr)
        if path is not None:
            self._stdout.write(f"(log messages go to {path})\n")
            self._stdout.flush()

    async def _serve(self, reader: LineReader) -> None:
        try:
            while True:
                line = await reader.next_line()
                if line is None:
                    break
                try:
                    await self._handle_line(line)
                finally:
                    reader.line_done()
        except Exception:  # the input loop itself failed: end the session as at end of input
            log.exception("console: reading input failed")
        await self._end_of_input()

    async def _end_of_input(self) -> None:
        """Let what the last lines set off (fills of orders just placed) reach the chat, then stop the app."""
        if self._settle is not None:
            try:
                await self._settle(self.chat.id)
            except Exception:
                log.exception("console: waiting for pending notifications failed")
        self._on_end()

    async def _handle_line(self, line: str) -> None:
        text = line.strip()
        if not text:
            return
        if self._echo:
            await self._print(f"» {redact_secrets(text)}")
        try:
            button = self._match_button(text)
            if button is not None:
                await self._press(button)
                return
            if not text.startswith("/") and self._buttons:
                await self._print("Type the number or the label of a button above, or a /command.")
                return
            command = IncomingCommand(
                user=self.user, chat=self.chat, text=text, received_at=datetime.now(UTC)
            )
            replies = await self._handler.handle(command)
            for reply in replies:
                await self._write(reply)
            if not replies and not text.startswith("/"):
                await self._print("Commands start with / — /help lists them.")
        except Exception:  # one bad line never ends the session
            log.exception("console: failed to handle a line")
            await self._print("Something went wrong handling that line; it was logged.")

    def _match_button(self, text: str) -> Button | None:
        return match_button(self._buttons, text)

    async def _press(self, button: Button) -> None:
        result = await self._handler.press(ButtonPress(user=self.user, chat=self.chat, action=button.action))
        if result.remove_buttons:
            self._buttons = ()
        if result.toast and (result.alert or result.reply is None):
            await self._print(("⚠ " if result.alert else "") + result.toast)
        if result.reply is not None:
            await self._write(result.reply)

    async def _write(self, reply: Reply) -> None:
        lines = [render_reply_text(reply)] if (reply.title or reply.text or reply.table) else []
        if reply.image is not None:
            lines.append(self._save_image(reply.image.data, reply.image.filename, reply.image.caption))
        if reply.document is not None:
            lines.append(self._save_image(reply.document.data, reply.document.filename, reply.document.caption,
                                          what="file"))
        if reply.buttons:
            self._buttons = reply.buttons
            labels = "  ".join(f"[{i}] {b.label}" for i, b in enumerate(reply.buttons, start=1))
            lines.append(f"{labels}   (type the number or the label)")
        if lines:
            await self._print("\n".join(lines) + "\n")

    def _save_image(self, data: bytes, filename: str, caption: str | None, *, what: str = "image") -> str:
        self._images_dir.mkdir(parents=True, exist_ok=True)
        path = free_path(self._images_dir, Path(filename).name or f"{what}.bin").resolve()
        path.write_bytes(data)
        return f"{caption + ': ' if caption else ''}{what} saved to {path}"

    async def _print(self, text: str) -> None:
        async with self._write_lock:
            reader = self._reader
            if self._interactive and reader is not None and reader.at_prompt:
                # A message while the prompt waits for input (a notification): clear the prompt line, print,
                # then draw the prompt again with what the user had typed so far.
                self._stdout.write("\r\x1b[2K" + text + "\n" + PROMPT + typed_so_far())
            else:
                self._stdout.write(text + "\n")
            self._stdout.flush()


def match_button(buttons: Sequence[Button], text: str) -> Button | None:
    """The button a typed line names: its number (1-based, ASCII digits), its label, or its label's first word."""
    if not buttons:
        return None
    if text.isascii() and text.isdecimal() and len(text) <= MAX_BUTTON_DIGITS:
        number = int(text)
        return buttons[number - 1] if 1 <= number <= len(buttons) else None
    lowered = text.lower()
    exact = [b for b in buttons if b.label.lower() == lowered]
    if exact:
        return exact[0]
    by_first_word = [b for b in buttons if b.label.lower().split()[:1] == [lowered]]
    return by_first_word[0] if len(by_first_word) == 1 else None


def free_path(directory: Path, name: str) -> Path:
    """`directory/name`, or `name-2`, `name-3`… when taken: an image never overwrites an earlier one."""
    candidate = directory / name
    stem, suffix = candidate.stem, candidate.suffix
    number = 1
    while candidate.exists():
        number += 1
        candidate = directory / f"{stem}-{number}{suffix}"
    return candidate


def _local_name() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user database entry (containers): a neutral name
        return "you"


def console_chat_kind(local_id: str) -> ChatKind:
    """The console's chat is private ("console:local"); test harnesses name shared ones "console:group-…"."""
    return ChatKind.GROUP if local_id.startswith("group") else ChatKind.PRIVATE


class ConsolePlugin:
    """Entry point `console` of the `fxbot.adapters` group."""

    name = "console"
    settings_model = ConsoleSettings
    # No length or rate limit on a terminal; the one local user (the host's operator) is reported as admin.
    facts = PlatformFacts(message_limit=None, pacing=PacingLimits.unlimited(), chat_kind=console_chat_kind,
                          reports_admins=True)

    def create(self, settings: ConsoleSettings, runtime: AdapterRuntime) -> ConsoleAdapter:
        return ConsoleAdapter(
            runtime.handler,
            stdin=runtime.stdin or sys.stdin,
            stdout=runtime.stdout or sys.stdout,
            images_dir=settings.images_dir,
            on_end_of_input=runtime.request_shutdown,
            settle=runtime.settle,
            echo=settings.echo,
            log_file=settings.log_file,
        )
