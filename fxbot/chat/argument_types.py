"""Declarations of typed command arguments (ArgKind, Argument) and the converted values handlers receive."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

T = TypeVar("T")

_ARG_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}", re.ASCII)


class ArgKind(StrEnum):
    """What an argument holds and therefore how its text is checked and converted."""

    SYMBOL = "symbol"  # -> str, canonical upper case, one of the known symbols
    SYMBOLS = "symbols"  # -> tuple[str, ...]; variadic, must be the last positional argument
    VOLUME = "volume"  # -> float lots: positive, a multiple of 0.01, at most 100 (or min/max)
    PRICE = "price"  # -> float, positive
    PRICE_OR_PIPS = "price_or_pips"  # -> PriceOrPips: "1.0850" or "20p" / "20pips"
    POSITIVE_INT = "positive_int"  # -> int within min (default 1) and max
    CHOICE = "choice"  # -> str, one of `choices` (case-insensitive; the declared spelling is returned)
    TEXT = "text"  # -> str; as the last positional argument it takes the rest of the line
    DATE = "date"  # -> datetime.date from YYYY-MM-DD
    TIMEFRAME = "timeframe"  # -> str: M1 M5 M15 M30 H1 H4 D1 W1 MN
    ORDER_REF = "order_ref"  # -> str: a ticket 12345678 / #12345678 (-> "12345678"), or a /v1 ord_… / pos_… id
    KEY_NAME = "key_name"  # -> str: a label for a stored key (never a key itself)
    USER_REF = "user_ref"  # -> str: "@name", a numeric id or a platform id "telegram:42"
    SCOPE = "scope"  # -> fxbot.domain.access.Scope
    ROLE = "role"  # -> fxbot.domain.access.Role


@dataclass(frozen=True, slots=True)
class PriceOrPips:
    """A price level ("1.0850") or a distance in pips from the entry ("20p")."""

    value: float
    in_pips: bool


@dataclass(frozen=True, slots=True)
class Argument:
    """One declared argument of a command: positional, or keyword (given as name=value, e.g. sl=)."""

    name: str
    kind: ArgKind
    required: bool = True
    help: str = ""
    choices: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    keyword: bool = False
    default: object = None

    def __post_init__(self) -> None:
        if not _ARG_NAME.fullmatch(self.name):
            raise ValueError(f"argument name {self.name!r} must be 1-32 characters [a-z0-9_], starting a-z")
        if self.kind is ArgKind.CHOICE and not self.choices:
            raise ValueError(f"argument {self.name!r} is a CHOICE but has no choices")
        if self.keyword and self.kind is ArgKind.SYMBOLS:
            raise ValueError(f"argument {self.name!r}: SYMBOLS cannot be a keyword argument")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"argument {self.name!r}: min is above max")

    @property
    def display(self) -> str:
        """How usage lines and error messages name the argument: VOLUME, or sl= for keyword ones."""
        return f"{self.name}=" if self.keyword else self.name.upper()

    @property
    def variadic(self) -> bool:
        return self.kind is ArgKind.SYMBOLS


def count_argument(name: str, what: str, *, default: int, maximum: int, minimum: int = 1) -> Argument:
    """An optional whole number from `minimum` to `maximum` ("how many candles"), `default` when absent."""
    return Argument(
        name,
        ArgKind.POSITIVE_INT,
        required=False,
        default=default,
        min=minimum,
        max=maximum,
        help=f"how many {what}, {minimum}-{maximum} (default {default})",
    )


class BoundArgs(Mapping[str, object]):
    """Converted argument values by name. Every declared argument is present (None/default when absent)."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, object]) -> None:
        self._values = dict(values)

    def __getitem__(self, name: str) -> object:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"BoundArgs({self._values!r})"

    def value(self, name: str, type_: type[T]) -> T:
        """The value of a required argument, checked to be a `type_` (a mismatch is a programming error)."""
        found = self.optional(name, type_)
        if found is None:
            raise KeyError(f"argument {name!r} has no value")
        return found

    def optional(self, name: str, type_: type[T]) -> T | None:
        """The value of an argument, or None when it was not given and has no default."""
        found = self._values[name]
        if found is None:
            return None
        if not isinstance(found, type_):
            raise TypeError(f"argument {name!r} is {type(found).__name__}, not {type_.__name__}")
        return found

    def text(self, name: str) -> str:
        return self.value(name, str)

    def number(self, name: str) -> float:
        """A float value (VOLUME, PRICE); an int value is accepted and converted."""
        found = self._values[name]
        if isinstance(found, bool) or not isinstance(found, int | float):
            raise TypeError(f"argument {name!r} is not a number")
        return float(found)

    def symbols(self, name: str) -> tuple[str, ...]:
        found = self._values[name]
        if found is None:
            return ()
        if not isinstance(found, tuple) or not all(isinstance(s, str) for s in found):
            raise TypeError(f"argument {name!r} is not a tuple of symbols")
        return tuple(str(s) for s in found)
