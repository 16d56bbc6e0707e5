"""Broker symbol names of the SDK face: canonical name + an optional suffix (`EURUSDm`), and back, case-sensitively."""

from __future__ import annotations

import re

from fxbot.domain.instruments import INSTRUMENTS

# A broker suffix as the batch close's `symbol_match: base` sees it: separator-led, or at most 2 alphanumerics.
_SUFFIX = re.compile(r"^([._#-][A-Za-z0-9._#-]*|[A-Za-z0-9]{1,2})$")


class SymbolNames:
    """Maps the engine's canonical symbols (`EURUSD`) to this broker's names (`EURUSDm`) and back."""

    def __init__(self, suffix: str = "") -> None:
        self.suffix = suffix

    def __repr__(self) -> str:
        return f"SymbolNames(suffix={self.suffix!r})"

    def broker(self, canonical: str) -> str:
        return canonical + self.suffix

    def canonical(self, name: str) -> str | None:
        """The canonical symbol of an exact broker name (case-sensitive, like a real terminal), or None."""
        if not isinstance(name, str) or not name.endswith(self.suffix):
            return None
        core = name[: len(name) - len(self.suffix)] if self.suffix else name
        return core if core in INSTRUMENTS else None

    def all(self) -> list[str]:
        """Every broker symbol name, in the engine's order."""
        return [self.broker(symbol) for symbol in INSTRUMENTS]


def base_matches(selector: str, name: str) -> bool:
    """`symbol_match: base`: equal, or equal once a broker suffix is taken off either side."""
    if selector == name:
        return True
    longer, shorter = (name, selector) if len(name) > len(selector) else (selector, name)
    return bool(shorter) and longer.startswith(shorter) and bool(_SUFFIX.match(longer[len(shorter):]))
