"""Converting one argument's text into its typed value, with a specific message when the text is wrong."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation

from fxbot.chat.argument_types import ArgKind, Argument, PriceOrPips
from fxbot.chat.symbols import SymbolResolver
from fxbot.domain.access import Role, Scope
from fxbot.domain.broker.tickets import MAX_TICKET, parse_ref, ticket_id, ticket_of
from fxbot.domain.redaction import looks_like_key, redact_secrets
from fxbot.errors import UsageError

TIMEFRAMES = ("M1", "M5", "M15", "M30", "H1", "H4", "D1", "W1", "MN")
_TIMEFRAME_ALIASES = {"MN1": "MN", "1M": "M1", "5M": "M5", "15M": "M15", "30M": "M30", "1H": "H1", "4H": "H4",
                      "1D": "D1", "1W": "W1"}
_NUMBER = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)", re.ASCII)
_PIPS = re.compile(r"(?P<n>(?:\d+(?:\.\d*)?|\.\d+))\s*(?:p|pip|pips)", re.ASCII | re.IGNORECASE)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_ORDER_REF = re.compile(r"(ord|pos)_[A-Za-z0-9][A-Za-z0-9_\-]{0,63}", re.ASCII)
_TICKET = re.compile(r"#?\d+", re.ASCII)
ORDER_REF_HINT = "a ticket as MetaTrader shows it (12345678 or #12345678) or an id from /positions or /orders"
_KEY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-.]{0,31}", re.ASCII)
_USER_REF = re.compile(r"@[A-Za-z0-9_.]{1,64}|\d{1,32}|[a-z][a-z0-9_]{0,31}:[A-Za-z0-9_\-.]{1,64}", re.ASCII)
VOLUME_STEP = Decimal("0.01")
DEFAULT_MAX_VOLUME = 100.0


def shown(text: str, limit: int = 24) -> str:
    """User text as it may appear in an error message: shortened, keys masked."""
    short = text if len(text) <= limit else text[:limit] + "…"
    return redact_secrets(short)


def _decimal(arg: Argument, text: str) -> Decimal:
    label = arg.name.replace("_", " ")
    if "," in text and _NUMBER.fullmatch(text.replace(",", ".")):
        raise UsageError(f"{label} '{shown(text)}' — use a dot for decimals: {text.replace(',', '.')}")
    if not _NUMBER.fullmatch(text):
        if text.startswith("-"):
            raise UsageError(f"{label} '{shown(text)}' must be positive")
        raise UsageError(f"{label} '{shown(text)}' is not a number")
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
        raise UsageError(f"{label} '{shown(text)}' is not a number") from None


def _in_range(
    arg: Argument, text: str, value: float, low: float | None, high: float | None, unit: str
) -> None:
    label = arg.name.replace("_", " ")
    if low is not None and value < low:
        raise UsageError(f"{label} '{shown(text)}' is below the minimum of {low:g}{unit}")
    if high is not None and value > high:
        raise UsageError(f"{label} '{shown(text)}' is above the maximum of {high:g}{unit}")


def _volume(arg: Argument, text: str, _: SymbolResolver) -> float:
    amount = _decimal(arg, text)
    label = arg.name.replace("_", " ")
    if amount <= 0:
        raise UsageError(f"{label} '{shown(text)}' must be positive (lots, e.g. 0.10)")
    high = arg.max if arg.max is not None else DEFAULT_MAX_VOLUME
    if amount > Decimal(repr(high)):
        raise UsageError(f"{label} '{shown(text)}' is above the maximum of {high:g} lots")
    if amount % VOLUME_STEP != 0:
        raise UsageError(f"{label} '{shown(text)}' is not a multiple of 0.01")
    value = round(float(amount), 2)
    _in_range(arg, text, value, arg.min, high, " lots")
    return value


def _price(arg: Argument, text: str, _: SymbolResolver) -> float:
    value = float(_decimal(arg, text))
    if value <= 0 or not math.isfinite(value):
        raise UsageError(f"{arg.name} '{shown(text)}' must be a positive price")
    _in_range(arg, text, value, arg.min, arg.max, "")
    return value


def _price_or_pips(arg: Argument, text: str, resolver: SymbolResolver) -> PriceOrPips:
    pips = _PIPS.fullmatch(text)
    if pips is not None:
        distance = float(Decimal(pips.group("n")))
        if distance <= 0:
            raise UsageError(f"{arg.name} '{shown(text)}' must be more than 0 pips")
        _in_range(arg, text, distance, None, 10_000, " pips")
        return PriceOrPips(distance, in_pips=True)
    if _NUMBER.fullmatch(text) or "," in text or text.startswith("-"):
        return PriceOrPips(_price(arg, text, resolver), in_pips=False)
    raise UsageError(f"{arg.name} '{shown(text)}' is neither a price (1.0850) nor a distance in pips (20p)")


def _positive_int(arg: Argument, text: str, _: SymbolResolver) -> int:
    label = arg.name.replace("_", " ")
    if not text.isascii() or not text.isdigit():
        if text.startswith("-") and text[1:].isdigit():
            raise UsageError(f"{label} '{shown(text)}' must be positive")
        raise UsageError(f"{label} '{shown(text)}' is not a whole number")
    if len(text) > 12:
        raise UsageError(f"{label} '{shown(text)}' is far too large")
    value = int(text)
    _in_range(arg, text, value, arg.min if arg.min is not None else 1, arg.max, "")
    return value


def _choice(arg: Argument, text: str, _: SymbolResolver) -> str:
    for choice in arg.choices:
        if choice.lower() == text.lower():
            return choice
    raise UsageError(f"{arg.name} '{shown(text)}' must be one of: {', '.join(arg.choices)}")


def _text(arg: Argument, text: str, _: SymbolResolver) -> str:
    if arg.max is not None and len(text) > arg.max:
        raise UsageError(f"{arg.name} is {len(text)} characters long — at most {arg.max:g} are allowed")
    return text


def _date(arg: Argument, text: str, _: SymbolResolver) -> date:
    if not _DATE.fullmatch(text):
        raise UsageError(f"{arg.name} '{shown(text)}' is not a date — write YYYY-MM-DD, e.g. 2026-04-02")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{arg.name} '{shown(text)}' is not a real calendar date") from None


def _timeframe(arg: Argument, text: str, _: SymbolResolver) -> str:
    upper = text.upper()
    upper = _TIMEFRAME_ALIASES.get(upper, upper)
    if upper not in TIMEFRAMES:
        raise UsageError(f"timeframe '{shown(text)}' must be one of: {' '.join(TIMEFRAMES)}")
    return upper


def read_order_ref(text: str) -> str | None:
    """The position or order a person named, as the broker's id, or None when the text is not shaped like one.

    A MetaTrader ticket (`12345678`, `#12345678`; any all-digit word is a ticket, never a volume or a symbol)
    becomes its id `"12345678"`; a `/v1` id (`pos_…`, `ord_…`, prefix in any case) is kept. Raises UsageError
    for a ticket-shaped word that no ticket can be (`0`, `#0`, 20 digits).
    """
    ref = parse_ref(text)
    if ticket_of(ref) is not None:
        return ref
    if _TICKET.fullmatch(ref):  # all digits, but zero, too large, or written with leading zeros
        digits = ref.lstrip("#")
        value = int(digits) if len(digits) <= 20 else 0
        if not 0 < value <= MAX_TICKET:
            raise UsageError(f"'{shown(ref)}' is not a ticket — MetaTrader tickets are positive whole numbers "
                             "like 12345678")
        return ticket_id(value)
    candidate = ref[:4].lower() + ref[4:]
    return candidate if _ORDER_REF.fullmatch(candidate) else None


def _order_ref(arg: Argument, text: str, _: SymbolResolver) -> str:
    ref = read_order_ref(text)
    if ref is None:
        raise UsageError(f"'{shown(text)}' is not a position or order — give {ORDER_REF_HINT} (pos_…, ord_…)")
    return ref


def _key_name(arg: Argument, text: str, _: SymbolResolver) -> str:
    if looks_like_key(text) or text.lower().startswith(("sk_", "fxs_")):
        raise UsageError("that looks like an API key, not a key name — give the key a short name like 'main'")
    if not _KEY_NAME.fullmatch(text):
        raise UsageError(f"key name '{shown(text)}' must be 1-32 letters, digits, '-', '_' or '.'")
    return text


def _user_ref(arg: Argument, text: str, _: SymbolResolver) -> str:
    if not _USER_REF.fullmatch(text):
        raise UsageError(f"'{shown(text)}' is not a user — write @name or the user's numeric id")
    return text


def _scope(arg: Argument, text: str, _: SymbolResolver) -> Scope:
    normal = text.lower().replace("_", "-").replace("readonly", "read-only")
    try:
        return Scope(normal)
    except ValueError:
        raise UsageError(f"scope '{shown(text)}' must be one of: {', '.join(Scope)}") from None


def _role(arg: Argument, text: str, _: SymbolResolver) -> Role:
    try:
        return Role(text.lower())
    except ValueError:
        raise UsageError(f"role '{shown(text)}' must be one of: {', '.join(Role)}") from None


def _symbol(arg: Argument, text: str, resolver: SymbolResolver) -> str:
    symbol = resolver.resolve(text)
    if symbol is None:
        raise UsageError(resolver.unknown_message(redact_secrets(text)))
    return symbol


CONVERTERS: dict[ArgKind, Callable[[Argument, str, SymbolResolver], object]] = {
    ArgKind.SYMBOL: _symbol,
    ArgKind.SYMBOLS: _symbol,  # per item; binding collects the tuple
    ArgKind.VOLUME: _volume,
    ArgKind.PRICE: _price,
    ArgKind.PRICE_OR_PIPS: _price_or_pips,
    ArgKind.POSITIVE_INT: _positive_int,
    ArgKind.CHOICE: _choice,
    ArgKind.TEXT: _text,
    ArgKind.DATE: _date,
    ArgKind.TIMEFRAME: _timeframe,
    ArgKind.ORDER_REF: _order_ref,
    ArgKind.KEY_NAME: _key_name,
    ArgKind.USER_REF: _user_ref,
    ArgKind.SCOPE: _scope,
    ArgKind.ROLE: _role,
}


def convert_value(arg: Argument, text: str, resolver: SymbolResolver) -> object:
    """The typed value of `text` for `arg`; raises UsageError (message only) when the text is wrong."""
    if text == "" and arg.kind is not ArgKind.TEXT:
        raise UsageError(f"{arg.display} is empty — give it a value")
    return CONVERTERS[arg.kind](arg, text, resolver)
