"""Turning what a person typed ("eur/usd", "EURUSDD") into a known symbol, or a "did you mean" suggestion."""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection

_SEPARATORS = re.compile(r"[\s/\\\-_.:]+")
_PLAUSIBLE = re.compile(r"[A-Z0-9]{3,20}", re.ASCII)
_MAX_LISTED = 12


def normalize_symbol(text: str) -> str:
    """Upper case with separators removed: "eur/usd", "EUR-USD", "eur usd" -> "EURUSD"."""
    return _SEPARATORS.sub("", text).upper()


class SymbolResolver:
    """Matches typed symbols against the known ones (case and separator insensitive)."""

    def __init__(self, known: Collection[str]) -> None:
        self._by_normal: dict[str, str] = {}
        for symbol in known:  # the known spelling is kept: brokers may use suffixes such as "EURUSD.m"
            self._by_normal.setdefault(normalize_symbol(symbol), symbol)
        for symbol in known:
            base = symbol.split(".", 1)[0]
            if base != symbol:
                self._by_normal.setdefault(normalize_symbol(base), symbol)

    @property
    def open_world(self) -> bool:
        """True when no symbols are known: any plausible symbol is accepted."""
        return not self._by_normal

    def resolve(self, text: str) -> str | None:
        """The canonical known symbol for `text`, or None."""
        normal = normalize_symbol(text)
        if self.open_world:
            return normal if _PLAUSIBLE.fullmatch(normal) else None
        return self._by_normal.get(normal)

    def suggest(self, text: str) -> str | None:
        """The closest known symbol to an unknown one ("EURUSDD" -> "EURUSD"), or None."""
        normal = normalize_symbol(text)
        if not normal or self.open_world:
            return None
        # Doubled or dropped letters and swapped halves are the usual slips.
        if len(normal) == 6 and normal[3:] + normal[:3] in self._by_normal:
            return self._by_normal[normal[3:] + normal[:3]]
        matches = difflib.get_close_matches(normal, list(self._by_normal), n=1, cutoff=0.7)
        return self._by_normal[matches[0]] if matches else None

    def unknown_message(self, text: str) -> str:
        """A specific message for an unknown symbol, with a suggestion or the list of known ones."""
        shown = text if len(text) <= 24 else text[:24] + "…"
        suggestion = self.suggest(text)
        if suggestion:
            return f"unknown symbol '{shown}' — did you mean {suggestion}?"
        known = sorted(self._by_normal.values())
        if not known:
            return f"'{shown}' is not a symbol — symbols look like EURUSD"
        listed = ", ".join(known[:_MAX_LISTED]) + (", …" if len(known) > _MAX_LISTED else "")
        return f"unknown symbol '{shown}' — known symbols: {listed}"
