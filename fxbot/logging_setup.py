"""Process logging: one stderr handler whose filter masks anything shaped like an FxSocket key."""

from __future__ import annotations

import logging
import sys

from fxbot.domain.redaction import redact_secrets


class RedactingFilter(logging.Filter):
    """Rewrites every record's message (arguments included) with FxSocket keys masked."""

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
        record.msg, record.args = redacted, None
        return True


def configure_logging(level: str) -> None:
    """Log to stderr at `level` (stdout belongs to the console chat), keys always masked."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    # Third-party chatter stays at WARNING unless we debug.
    for noisy in ("httpx", "httpcore", "websockets", "uvicorn", "uvicorn.access", "aiosqlite"):
        logging.getLogger(noisy).setLevel(logging.WARNING if level != "DEBUG" else logging.DEBUG)
