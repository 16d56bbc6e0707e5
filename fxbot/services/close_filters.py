"""What a /close or /cancel names, free of I/O: filters (symbol, side, winners/losers) and partial amounts."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from fxbot.domain.broker import PendingOrder, Position, Side
from fxbot.errors import UsageError
from fxbot.services.pnl_figures import position_net
from fxbot.services.risk_sizing import VolumeLimits, floor_to_step

CLOSE_USAGE = "/close ID [VOLUME|PERCENT%] | /close [SYMBOL] [buy|sell] [winners|losers] | /close all"
CANCEL_USAGE = "/cancel ID | SYMBOL | all"
PnlFilter = Literal["winners", "losers"]
FILTER_WORDS = frozenset({"winners", "losers", "buy", "sell", "all"})
_PERCENT = re.compile(r"(?P<n>\d+(?:[.,]\d+)?)\s*%", re.ASCII)
_EPS = 1e-9
#: word -> canonical symbol; raises UsageError (with a suggestion) for an unknown symbol
SymbolLookup = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class CloseFilter:
    """Which positions a filtered /close takes: every condition given must hold (no condition: all)."""

    symbol: str | None = None
    side: Side | None = None
    pnl: PnlFilter | None = None

    def matches(self, position: Position) -> bool:
        if self.symbol is not None and position.symbol != self.symbol:
            return False
        if self.side is not None and position.type is not self.side:
            return False
        if self.pnl == "winners":
            return position_net(position) > 0
        if self.pnl == "losers":
            return position_net(position) < 0
        return True

    def matches_order(self, order: PendingOrder) -> bool:
        return self.symbol is None or order.symbol == self.symbol

    @property
    def is_all(self) -> bool:
        return self.symbol is None and self.side is None and self.pnl is None

    @property
    def is_narrowed(self) -> bool:
        """True when the filter goes beyond a symbol or all (side, winners/losers): always confirmed."""
        return self.side is not None or self.pnl is not None

    def describe(self) -> str:
        """"every open position", "every EURUSD BUY position in profit"."""
        words = ["every"]
        if self.symbol:
            words.append(self.symbol)
        if self.side:
            words.append(self.side.value)
        words.append("open position" if self.symbol is None and self.side is None else "position")
        if self.pnl == "winners":
            words.append("in profit (net P&L > 0)")
        elif self.pnl == "losers":
            words.append("at a loss (net P&L < 0)")
        return " ".join(words)


def build_filter(words: list[str], resolve_symbol: SymbolLookup) -> CloseFilter:
    """Combine filter words (`EURUSD`, `buy|sell`, `winners|losers`, `all`) into one filter; a repeated or
    conflicting word gets a specific reason."""
    symbol: str | None = None
    side: Side | None = None
    pnl: PnlFilter | None = None
    for word in words:
        low = word.lower()
        if low == "all":
            continue
        if low in ("buy", "sell"):
            wanted = Side.BUY if low == "buy" else Side.SELL
            if side is not None and side is not wanted:
                raise UsageError("buy and sell together match nothing — give one side, or neither for both",
                                 usage=CLOSE_USAGE, example="/close EURUSD buy")
            side = wanted
        elif low in ("winners", "losers"):
            if pnl is not None and pnl != low:
                raise UsageError("winners and losers together — give one, or neither for every position",
                                 usage=CLOSE_USAGE, example="/close losers")
            pnl = "winners" if low == "winners" else "losers"
        else:
            found = resolve_symbol(word)
            if symbol is not None and found != symbol:
                raise UsageError(f"one symbol at a time — got {symbol} and {found}", usage=CLOSE_USAGE,
                                 example=f"/close {symbol} losers")
            symbol = found
    return CloseFilter(symbol=symbol, side=side, pnl=pnl)


@dataclass(frozen=True, slots=True)
class CloseAmount:
    """A partial close: lots, or a percentage of the position."""

    volume: float | None = None
    percent: float | None = None


def parse_amount(text: str) -> CloseAmount:
    """`0.05` (lots) or `50%` (of the position)."""
    cleaned = text.strip()
    match = _PERCENT.fullmatch(cleaned)
    if match is not None:
        percent = float(match.group("n").replace(",", "."))
        if not 0 < percent <= 100:
            raise UsageError(f"a percentage to close must be more than 0% and at most 100%, got {cleaned}",
                             usage=CLOSE_USAGE, example="/close 12345678 50%")
        return CloseAmount(percent=percent)
    try:
        volume = float(cleaned.replace(",", "."))
    except ValueError:
        raise UsageError(f"'{cleaned[:24]}' is not a volume (0.05) or a percentage (50%) of the position",
                         usage=CLOSE_USAGE, example="/close 12345678 50%") from None
    if not volume > 0 or volume > 100:
        raise UsageError(f"volume {cleaned[:24]} must be more than 0 and at most 100 lots", usage=CLOSE_USAGE,
                         example="/close 12345678 0.05")
    return CloseAmount(volume=round(volume, 8))


@dataclass(frozen=True, slots=True)
class PartialVolume:
    """The volume a partial close sends (None: the whole position) and why it was changed, if it was."""

    volume: float | None
    note: str | None = None


def partial_volume(position_volume: float, amount: CloseAmount, limits: VolumeLimits) -> PartialVolume:
    """The lots to close: a percentage rounded DOWN to the volume step; a remainder below the minimum volume
    closes the whole position (and says so)."""
    if amount.percent is not None:
        volume = floor_to_step(position_volume * amount.percent / 100.0, limits)
        if volume < limits.min - _EPS:
            raise UsageError(f"{amount.percent:g}% of {position_volume:g} lots is below the minimum volume "
                             f"{limits.min:g} — close more, or all of it", usage=CLOSE_USAGE,
                             example="/close 12345678 100%")
    else:
        assert amount.volume is not None
        volume = amount.volume
    if volume > position_volume + _EPS:
        raise UsageError(f"volume {volume:g} is more than the position's {position_volume:g} lots",
                         usage=CLOSE_USAGE, example=f"/close 12345678 {position_volume:g}")
    remainder = position_volume - volume
    if remainder <= _EPS:
        return PartialVolume(None)
    if remainder < limits.min - _EPS:
        return PartialVolume(None, note=f"closing {volume:g} would leave {remainder:.2f} lots, below the minimum "
                                        f"volume {limits.min:g}, so the whole position ({position_volume:g} lots) "
                                        "is closed")
    return PartialVolume(round(volume, 8))
