"""The console's terminal: stdin lines read on a thread, the prompt, readline's line editing and history."""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from pathlib import Path
from typing import TextIO

PROMPT = "fxbot> "
_HISTORY = Path(os.path.expanduser("~/.fxbot_history"))


class LineReader:
    """Reads stdin lines on a daemon thread (a blocked read never holds up shutdown)."""

    def __init__(self, stream: TextIO, interactive: bool) -> None:
        self._stream = stream
        self._interactive = interactive
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._loop = asyncio.get_running_loop()
        self._thread = threading.Thread(target=self._run, name="console-stdin", daemon=True)
        # In a terminal the next prompt waits until the previous line's replies are printed.
        self._may_prompt = threading.Event()
        self._may_prompt.set()
        #: The prompt is on screen waiting for input (a message printed now must redraw it).
        self.at_prompt = False

    def start(self) -> None:
        self._thread.start()

    def _read(self) -> str | None:
        if self._interactive:
            self.at_prompt = True
            try:
                return input(PROMPT)
            except EOFError:
                return None
            finally:
                self.at_prompt = False
        line = self._stream.readline()
        return None if line == "" else line.rstrip("\r\n")

    def line_done(self) -> None:
        """The last line's replies are written: a terminal may show the prompt again."""
        self._may_prompt.set()

    def _run(self) -> None:
        while True:
            if self._interactive:
                self._may_prompt.wait()
                self._may_prompt.clear()
            try:
                line = self._read()
            except (OSError, ValueError):
                line = None
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is listening any more
                self._loop.call_soon_threadsafe(self._queue.put_nowait, line)
            if line is None:
                return

    async def next_line(self) -> str | None:
        return await self._queue.get()


def typed_so_far() -> str:
    """What the user has typed at the prompt so far (to draw it again below a message)."""
    try:
        import readline
    except ImportError:
        return ""
    return readline.get_line_buffer()


def enable_line_editing() -> None:
    """Arrow keys and the history of earlier sessions at the prompt (when readline is there)."""
    try:
        import readline
    except ImportError:  # Windows without pyreadline: plain input still works
        return
    with contextlib.suppress(OSError):
        readline.read_history_file(_HISTORY)
    readline.set_history_length(1000)


def save_history() -> None:
    """Keep this session's lines for the next one."""
    try:
        import readline
    except ImportError:
        return
    with contextlib.suppress(OSError):
        readline.write_history_file(_HISTORY)
