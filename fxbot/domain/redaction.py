"""Finding and masking secrets (FxSocket keys, chat platform bot tokens) in chat text, logs and audit records."""

from __future__ import annotations

import re

_KEY_ANYWHERE = re.compile(r"(sk_(?:live|test)_)\S*", re.IGNORECASE)
_KEY_LIKE = re.compile(r"sk_(?:live|test)_[A-Za-z0-9_\-]{4,}", re.IGNORECASE)
#: A Telegram bot token (also inside Bot API URLs: /bot<token>/sendMessage).
_BOT_TOKEN = re.compile(r"(?<![0-9])\d{5,}:[A-Za-z0-9_-]{20,}")


def redact_secrets(text: str) -> str:
    """The text with every FxSocket key (prefix kept) and bot token replaced by "***" (safe to log or store)."""
    return _BOT_TOKEN.sub("***", _KEY_ANYWHERE.sub(lambda m: m.group(1) + "***", text))


def looks_like_key(text: str) -> bool:
    """True when the text contains something shaped like an FxSocket key."""
    return _KEY_LIKE.search(text) is not None
