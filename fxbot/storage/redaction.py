"""Pure redaction of anything that looks like an FxSocket API key in free text."""

from __future__ import annotations

import re

_KEY_PATTERN = re.compile(r"sk_(?:live|test)_[A-Za-z0-9_-]+")
REDACTED = "sk_…redacted"


def redact_secrets(text: str) -> str:
    """Replace every FxSocket key (`sk_live_…` / `sk_test_…`) in text with `sk_…redacted`."""
    return _KEY_PATTERN.sub(REDACTED, text)
