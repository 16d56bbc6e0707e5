"""Text formatting of prices, volumes, money, pips, percentages, times and durations for chat replies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fxbot.domain.instruments import instrument

NO_VALUE = "—"
DEFAULT_PRICE_DIGITS = 5


def price_digits(symbol: str) -> int:
    """The number of decimals prices of `symbol` are shown with (5 for an unknown symbol)."""
    spec = instrument(symbol)
    return spec.digits if spec is not None else DEFAULT_PRICE_DIGITS


def format_price(symbol: str, price: float | None) -> str:
    """A price with the instrument's digits ("1.08340", "151.200", "2315.40"); "—" for None."""
    if price is None:
        return NO_VALUE
    return f"{price:.{price_digits(symbol)}f}"


def format_volume(volume: float) -> str:
    """A volume in lots with two decimals ("0.10", "2.00")."""
    return f"{volume:.2f}"


def format_lots(volume: float) -> str:
    """A volume with its unit ("0.10 lot", "2.00 lots")."""
    unit = "lot" if abs(volume) <= 1.0 else "lots"
    return f"{format_volume(volume)} {unit}"


def format_money(amount: float | None, currency: str | None) -> str:
    """Money with two decimals, thousands separators and the currency ("1,083.40 USD"); "—" for None."""
    if amount is None:
        return NO_VALUE
    text = f"{amount:,.2f}"
    if text == "-0.00":
        text = "0.00"
    return f"{text} {currency}" if currency else text


def format_signed_money(amount: float | None, currency: str | None) -> str:
    """Money with an explicit sign for gains ("+12.50 USD", "-3.00 USD")."""
    if amount is None:
        return NO_VALUE
    text = format_money(amount, currency)
    return text if text.startswith("-") or text.startswith("0.00") else f"+{text}"


def format_pips(pips: float | None) -> str:
    """A distance in pips with one decimal ("20.0 pips"); "—" for None."""
    if pips is None:
        return NO_VALUE
    return f"{pips:.1f} pips"


def format_percent(value: float | None) -> str:
    """A percentage with one decimal ("1,234.5%"); "—" for None (e.g. margin level with no margin)."""
    if value is None:
        return NO_VALUE
    return f"{value:,.1f}%"


def chat_zone(timezone: str | None) -> ZoneInfo:
    """The zone of a chat's time-zone setting; UTC when unset or unknown."""
    if not timezone:
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder such as "Europe" (tzdata)
        return ZoneInfo("UTC")


def format_time(moment: datetime | None, timezone: str | None = None, *, seconds: bool = False) -> str:
    """A moment in the chat's zone ("2026-04-02 16:30 CEST"; with `seconds`, "2026-04-02 16:30:05 CEST",
    as for quotes); naive times are taken as UTC; "—" for None."""
    if moment is None:
        return NO_VALUE
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(chat_zone(timezone))
    shown = f"{local:%Y-%m-%d %H:%M:%S}" if seconds else f"{local:%Y-%m-%d %H:%M}"
    return f"{shown} {local.tzname() or 'UTC'}"


def format_signed_pips(pips: float) -> str:
    """A pip distance with a sign ("+20.0 pips", "-5.0 pips")."""
    return f"{pips:+.1f} pips"


def format_duration(span: timedelta) -> str:
    """A length of time, largest units first: "3d 4h 5m", "2h 0m", "12m 5s", "45s" (negative: "0s")."""
    seconds = max(0, int(span.total_seconds()))
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h {minutes}m"
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {secs}s"
    return f"{secs}s"
