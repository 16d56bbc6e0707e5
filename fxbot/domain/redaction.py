"""Finding and masking FxSocket keys (sk_live_…, sk_test_…) in chat text, logs and audit records."""

from __future__ import annotations

import re

_KEY_ANYWHERE = re.compile(r"(sk_(?:live|test)_)\S*", re.IGNORECASE)
_KEY_LIKE = re.compile(r"sk_(?:live|test)_[A-Za-z0-9_\-]{4,}", re.IGNORECASE)


def redact_secrets(text: str) -> str:
    """The text with every FxSocket key replaced by its prefix and "***" (safe to log or store)."""
    return _KEY_ANYWHERE.sub(lambda m: m.group(1) + "***", text)


def looks_like_key(text: str) -> bool:
    """True when the text contains something shaped like an FxSocket key."""
    return _KEY_LIKE.search(text) is not None
