"""An account's symbol names: canonical `EURUSD`/`XAUUSD` to the broker's `EURUSDm`, `EURUSD.sd`, `GOLD`, and back.

Built from the terminal's `/symbols` list. A broker name stands for a canonical symbol when, once a
suffix is taken off (separator-led such as `.sd`/`-pro`/`#`, or up to five trailing characters after
six letters such as `m`/`micro`), it is a known instrument, a six-letter pair, or a known alias (`GOLD`,
`SILVER`). When several names stand for one symbol, the plainest wins (`EURUSD` before `EURUSD.pro`);
the others keep their own names. Names that stand for nothing known are their own canonical name.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from fxbot.domain.broker.symbols import UnknownSymbolError
from fxbot.domain.instruments import INSTRUMENTS

#: Broker names of metals (and their common short forms) -> the canonical symbol.
ALIASES: dict[str, str] = {"GOLD": "XAUUSD", "XAU": "XAUUSD", "SILVER": "XAGUSD", "XAG": "XAGUSD"}
_SEPARATORS = "._-#!+$"
_PAIR_WITH_TAIL = re.compile(r"^([A-Za-z]{6})([A-Za-z0-9]{1,5})$")
_SIX_LETTERS = re.compile(r"^[A-Za-z]{6}$")
MAX_SUGGESTIONS = 3


def _core(name: str) -> str:
    """The name without leading marks (`#EURUSD`) and without a separator-led suffix (`EURUSD.sd`)."""
    core = name.lstrip(_SEPARATORS)
    for index, char in enumerate(core):
        if char in _SEPARATORS:
            return core[:index]
    return core


def canonical_guess(name: str) -> str | None:
    """The canonical symbol a broker name stands for, or None when it stands for nothing recognisable."""
    core = _core(name)
    upper = core.upper()
    if upper in ALIASES:
        return ALIASES[upper]
    if upper in INSTRUMENTS or (_SIX_LETTERS.match(core) and core.isupper()):
        return upper
    tail = _PAIR_WITH_TAIL.match(core)
    if tail is not None and tail.group(1).upper() in INSTRUMENTS:
        return tail.group(1).upper()
    for alias, symbol in ALIASES.items():
        rest = upper[len(alias):]
        if upper.startswith(alias) and 0 < len(rest) <= 4 and rest.isalnum():
            return symbol
    if tail is not None and core[:6].isupper() and not core[6:].isupper():  # e.g. USDZARm
        return tail.group(1).upper()
    return None


def _plainness(name: str, canonical: str) -> tuple[int, int, str]:
    """Sort key: the exact canonical name first, then the shortest extra, then alphabetical."""
    return (0 if name == canonical else 1, len(name) - len(canonical), name)


@dataclass(frozen=True, slots=True)
class SymbolMap:
    """Canonical symbol <-> broker name for one account (case-sensitive broker names)."""

    names: tuple[str, ...]
    _to_broker: dict[str, str] = field(default_factory=dict)
    _to_canonical: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, broker_names: Iterable[str]) -> SymbolMap:
        names = tuple(dict.fromkeys(n for n in broker_names if isinstance(n, str) and n))
        candidates: dict[str, list[str]] = {}
        for name in names:
            guess = canonical_guess(name)
            if guess is not None:
                candidates.setdefault(guess, []).append(name)
        to_broker: dict[str, str] = {}
        to_canonical: dict[str, str] = {name: name for name in names}
        for canonical, found in candidates.items():
            chosen = min(found, key=lambda n: _plainness(n, canonical))
            to_broker[canonical] = chosen
            to_canonical[chosen] = canonical
        for name in names:  # names standing for nothing known (or not chosen) are their own canonical name
            to_broker.setdefault(to_canonical[name].upper(), name)
        return cls(names, to_broker, to_canonical)

    def __repr__(self) -> str:
        return f"SymbolMap(<{len(self.names)} names>)"

    def broker(self, symbol: str) -> str | None:
        """The broker name for what a person typed (a canonical symbol or the broker's own name), or None."""
        text = symbol.strip()
        if text in self._to_canonical:
            return text
        found = self._to_broker.get(text.upper())
        if found is not None:
            return found
        alias = ALIASES.get(text.upper())
        return None if alias is None else self._to_broker.get(alias)

    def canonical(self, broker_name: str) -> str:
        """The canonical symbol of a broker name (unknown names are their own canonical name)."""
        return self._to_canonical.get(broker_name) or canonical_guess(broker_name) or broker_name

    def suggestions(self, symbol: str, limit: int = MAX_SUGGESTIONS) -> list[str]:
        """Close names from this broker's list, as the core would type them (canonical where known)."""
        offered = list(dict.fromkeys(self._to_canonical[name] for name in self.names))
        by_upper = {name.upper(): name for name in reversed(offered)}
        close = difflib.get_close_matches(symbol.strip().upper(), list(by_upper), n=limit, cutoff=0.6)
        return [by_upper[name] for name in close]

    def resolve(self, symbol: str, *, account_id: str | None = None) -> str:
        """The broker name for `symbol`; UnknownSymbolError (with "did you mean" suggestions) when none."""
        found = self.broker(symbol)
        if found is None:
            raise UnknownSymbolError(symbol.strip(), self.suggestions(symbol), account_id=account_id)
        return found


def pip_size(canonical: str, digits: int, point: float) -> float:
    """One pip of a symbol: the instrument table's when known, else 10 points on 3/5-digit prices."""
    spec = INSTRUMENTS.get(canonical)
    if spec is not None:
        return spec.pip_size
    return point * 10 if digits in (3, 5) else point


def trade_mode(value: str) -> str:
    """MetaTrader's trade mode (`Full`, `LongOnly`, `SYMBOL_TRADE_MODE_CLOSEONLY`, …) as snake case."""
    raw = value.strip()
    upper = raw.upper()
    for prefix in ("SYMBOL_TRADE_MODE_", "TRADE_MODE_"):
        if upper.startswith(prefix):
            raw = raw[len(prefix):]
            upper = raw.upper()
    squashed = upper.replace("_", "").replace(" ", "").replace("-", "")
    known = {"FULL": "full", "LONGONLY": "long_only", "SHORTONLY": "short_only", "CLOSEONLY": "close_only",
             "DISABLED": "disabled", "NONE": "disabled"}
    if squashed in known:
        return known[squashed]
    return re.sub(r"(?<!^)(?=[A-Z])", "_", raw).lower().replace("__", "_")
