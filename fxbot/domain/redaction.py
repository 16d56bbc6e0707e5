"""Finding and masking secrets (FxSocket keys, chat platform bot tokens) in chat text, logs and audit records.

Key shapes: the /v1 API's `sk_live_…` / `sk_test_…` (and any other `sk_…` token), the official SDK's
`fxs_live_…` (full) and `fxs_ro_…` (read-only), and `api_key=…` in a URL (the SDK's stream
authenticates by query string, and connection errors quote the URL).
"""

from __future__ import annotations

import re

#: A key prefix (kept when masking, so a reader still sees which kind of key it was) and its secret part.
#: The known prefixes are masked even glued to other text ("/buysk_live_…"); a bare `sk_` only as a word.
_KEY_ANYWHERE = re.compile(
    r"(sk_(?:live|test)_|fxs_(?:live|ro)_)\S*"
    r"|(?<![A-Za-z0-9])(sk_)(?=[A-Za-z0-9_\-]{4})\S*"
    r"|(api_key=)[^&\s\"'#]+",
    re.IGNORECASE,
)
#: Something a person pasted as a key (the dispatcher warns and deletes it in groups): a known prefix and
#: at least 4 key characters, or a bare `sk_` with a key-length tail.
_KEY_LIKE = re.compile(
    r"(?:sk_(?:live|test)_|fxs_(?:live|ro)_)[A-Za-z0-9_\-]{4,}|(?<![A-Za-z0-9])sk_[A-Za-z0-9_\-]{16,}",
    re.IGNORECASE,
)
#: A Telegram bot token (also inside Bot API URLs: /bot<token>/sendMessage).
_BOT_TOKEN = re.compile(r"(?<![0-9])\d{5,}:[A-Za-z0-9_-]{20,}")


def _mask(match: re.Match[str]) -> str:
    prefix = match.group(1) or match.group(2) or match.group(3)
    return prefix + "***"


def redact_secrets(text: str) -> str:
    """The text with every FxSocket key (prefix kept) and bot token replaced by "***" (safe to log or store)."""
    return _BOT_TOKEN.sub("***", _KEY_ANYWHERE.sub(_mask, text))


def looks_like_key(text: str) -> bool:
    """True when the text contains something shaped like an FxSocket key (either API's)."""
    return _KEY_LIKE.search(text) is not None
