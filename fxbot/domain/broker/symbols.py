"""Symbols as a broker names them: a symbol's trading specification, and the error for a symbol it lacks.

The core speaks canonical symbols (`EURUSD`, `XAUUSD`); a MetaTrader broker may call them `EURUSDm`,
`EURUSD.sd` or `GOLD`. A backend maps one to the other and reports, per account, what the broker says
about a symbol (`SymbolSpec`): digits, volume limits and whether it trades at all.
"""

from __future__ import annotations

from collections.abc import Sequence

from fxbot.domain.broker.errors import NotFoundError
from fxbot.domain.broker.models import BrokerModel

#: `SymbolSpec.trade_mode` values (MetaTrader's SYMBOL_TRADE_MODE_*, in snake case); others pass through.
TRADE_MODES: frozenset[str] = frozenset({"full", "long_only", "short_only", "close_only", "disabled"})


class SymbolSpec(BrokerModel):
    """What an account's broker says about one symbol.

    `symbol` is the canonical name the core uses, `broker_symbol` the account's own name for it.
    Volumes are lots; `pip_size` is the price distance of one pip (10 points on 3- and 5-digit
    symbols). `trade_mode` is one of TRADE_MODES (`full`: both directions may open; `close_only`:
    positions may only be closed; `disabled`: no trading), or the broker's own word when unknown.
    """

    symbol: str
    broker_symbol: str
    digits: int
    point: float
    pip_size: float
    volume_min: float
    volume_step: float
    volume_max: float
    trade_mode: str
    description: str | None = None
    contract_size: float | None = None
    stops_level_points: int | None = None  # how far from the price SL/TP/pending prices must be
    currency_base: str | None = None
    currency_profit: str | None = None
    currency_margin: str | None = None

    @property
    def tradable(self) -> bool:
        """True when new positions may be opened (in at least one direction)."""
        return self.trade_mode not in ("disabled", "close_only")

    def allows_volume(self, volume: float) -> bool:
        """True when `volume` lies within [volume_min, volume_max] on a whole number of steps."""
        if volume < self.volume_min - 1e-9 or volume > self.volume_max + 1e-9:
            return False
        steps = (volume - self.volume_min) / self.volume_step if self.volume_step > 0 else 0.0
        return abs(steps - round(steps)) < 1e-6


class UnknownSymbolError(NotFoundError):
    """The account's broker has no such symbol; `suggestions` are close names from its own list (canonical
    names where known), best first, and the message already offers them ("did you mean …?")."""

    default_code = "invalid_symbol"

    def __init__(self, symbol: str, suggestions: Sequence[str] = (), *, account_id: str | None = None) -> None:
        self.symbol = symbol
        self.suggestions = tuple(suggestions)
        self.account_id = account_id
        where = f" on account {account_id}" if account_id else ""
        hint = f" — did you mean {', '.join(self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"unknown symbol {symbol!r}{where}{hint}")
