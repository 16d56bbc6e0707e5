"""Process logging: one stderr handler (or a file while the console chat owns the terminal), keys always masked."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import TextIO

from fxbot.domain.redaction import redact_secrets

_STDERR_HANDLER = "fxbot-stderr"
_FILE_HANDLER = "fxbot-file"
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: Where the log goes while a chat runs in the terminal (the console's `log_file` setting, by default).
TERMINAL_CHAT_LOG = Path("fxbot-console.log")


class RedactingFilter(logging.Filter):
    """Rewrites every record's message (arguments included), traceback and stack with FxSocket keys masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave the record for logging to report
            return True
        redacted = redact_secrets(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_secrets(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_secrets(record.stack_info)
        record.msg, record.args = redacted, None
        return True


def configure_logging(level: str) -> None:
    """Log to stderr at `level` (stdout belongs to the console chat), keys always masked."""
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(_STDERR_HANDLER)
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    # Third-party chatter stays at WARNING unless we debug.
    for noisy in ("httpx", "httpcore", "websockets", "uvicorn", "uvicorn.access", "aiosqlite"):
        logging.getLogger(noisy).setLevel(logging.WARNING if level != "DEBUG" else logging.DEBUG)


def log_to_file(path: Path) -> Path | None:
    """Move the log from stderr to `path` (appended, created 0600, keys masked); its absolute path.

    For the interactive console: stderr is the same terminal as the chat, so log lines would land between
    replies. None (nothing changed) when logging was not set up by configure_logging (embedding, tests)
    or the file cannot be opened (the log then stays on stderr). Moved already: the file it goes to."""
    root = logging.getLogger()
    for handler in root.handlers:
        if handler.get_name() == _FILE_HANDLER and isinstance(handler, logging.FileHandler):
            return Path(handler.baseFilename)  # moved already (before start-up logged anything)
    ours = [h for h in root.handlers if h.get_name() == _STDERR_HANDLER]
    if not ours:
        return None
    try:
        os.close(os.open(path, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600))
        handler = logging.FileHandler(path, encoding="utf-8")
    except OSError as exc:
        logging.getLogger(__name__).warning("cannot log to %s (%s); logging to stderr", path, exc)
        return None
    handler.set_name(_FILE_HANDLER)
    handler.setFormatter(ours[0].formatter or logging.Formatter(_FORMAT))
    handler.addFilter(RedactingFilter())
    for old in ours:
        root.removeHandler(old)
    root.addHandler(handler)
    return path.resolve()


def keep_logs_off_a_terminal_chat(log_file: Path, *, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> Path | None:
    """When a chat runs in this terminal (stdin and stdout are one) and stderr is a terminal too, the log
    would print between replies: move it to `log_file` (see log_to_file). The file, or None (left alone)."""
    if not (stdin.isatty() and stdout.isatty() and stderr.isatty()):
        return None
    return log_to_file(log_file)
