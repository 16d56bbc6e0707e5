"""Risk sizing, free of I/O: lots from the money at risk (`risk=1%`, `risk=0.5%eq`, `risk=50`) and the stop."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

from fxbot.domain.broker import BrokerError, SupportsSymbolSpecs
from fxbot.domain.currency import MidPrice, rate
from fxbot.domain.formatting import format_lots, format_money
from fxbot.domain.instruments import InstrumentSpec
from fxbot.errors import UsageError

RiskBase = Literal["balance", "equity", "money"]

RISK_USAGE = "/buy SYMBOL risk=1%|0.5%eq|50 sl=PRICE|PIPSp [tp=PRICE|PIPSp]"
RISK_EXAMPLE = "/buy EURUSD risk=1% sl=20p"
#: The card warns when rounding to the volume step changes the risk by more than this fraction.
ROUNDING_WARN_FRACTION = 0.10
_RISK = re.compile(r"(?P<n>\d+(?:\.\d+)?)(?P<pct>%(?P<eq>eq)?)?", re.ASCII | re.IGNORECASE)
_EPS = 1e-9


@dataclass(frozen=True, slots=True)
class RiskInput:
    """What the user asked to risk: a percentage of the balance or equity, or an amount of money."""

    amount: float
    base: RiskBase

    def money(self, balance: float, equity: float) -> float:
        """The money at risk in the account currency."""
        if self.base == "money":
            return self.amount
        return self.amount / 100.0 * (balance if self.base == "balance" else equity)

    @property
    def text(self) -> str:
        if self.base == "money":
            return f"{self.amount:g}"
        return f"{self.amount:g}%" + ("eq" if self.base == "equity" else "")


def parse_risk(text: str) -> RiskInput:
    """`1%` (of the balance), `0.5%eq` (of the equity) or `50` (money in the account currency)."""
    cleaned = text.strip().replace(",", ".")
    match = _RISK.fullmatch(cleaned)
    if match is None:
        if cleaned.startswith("-"):
            raise UsageError(f"risk '{text[:24]}' must be more than zero", usage=RISK_USAGE, example=RISK_EXAMPLE)
        raise UsageError(f"risk '{text[:24]}' is not a percentage (1%, 0.5%eq) or an amount of money (50)",
                         usage=RISK_USAGE, example=RISK_EXAMPLE)
    amount = float(match.group("n"))
    if not math.isfinite(amount) or amount <= 0:
        raise UsageError(f"risk '{text[:24]}' must be more than zero", usage=RISK_USAGE, example=RISK_EXAMPLE)
    if match.group("pct"):
        if amount > 100:
            raise UsageError(f"risk {amount:g}% is more than 100% of the account", usage=RISK_USAGE,
                             example=RISK_EXAMPLE)
        return RiskInput(amount, "equity" if match.group("eq") else "balance")
    return RiskInput(amount, "money")


@dataclass(frozen=True, slots=True)
class VolumeLimits:
    """A symbol's volume constraints in lots (from the broker's SymbolSpec, else fxbot's instrument table)."""

    min: float
    step: float
    max: float


@dataclass(frozen=True, slots=True)
class RiskSizing:
    """The sized order: the lots chosen and the risk they carry at the stop, next to what was asked."""

    risk: RiskInput
    asked: float  # money at risk asked, account currency
    realised: float  # money lost at the stop with `volume`, account currency
    volume: float
    risk_per_lot: float
    balance: float
    currency: str
    reward_risk: float | None  # TP distance / SL distance

    @property
    def percent_of_balance(self) -> float | None:
        return self.realised / self.balance * 100.0 if self.balance > 0 else None

    @property
    def rounding_changed(self) -> bool:
        """True when rounding to the volume step (or the max volume) moved the risk by more than 10%."""
        return self.asked > 0 and (self.asked - self.realised) / self.asked > ROUNDING_WARN_FRACTION


def risk_per_lot(stop_distance: float, contract_size: float, quote_ccy: str, account_ccy: str,
                 mid: MidPrice) -> float | None:
    """The money one lot loses over `stop_distance` (a price distance), in the account currency."""
    factor = rate(quote_ccy, account_ccy, mid)
    if factor is None:
        return None
    return abs(stop_distance) * contract_size * factor


def floor_to_step(lots: float, limits: VolumeLimits) -> float:
    """`lots` rounded DOWN to a whole number of steps (never up, whatever the float noise)."""
    steps = math.floor(lots / limits.step + _EPS)
    while steps > 0 and steps * limits.step > lots * (1 + 1e-12):
        steps -= 1
    decimals = max(0, -math.floor(math.log10(limits.step)) + 2) if limits.step > 0 else 2
    return round(steps * limits.step, decimals)


def size_order(risk: RiskInput, *, balance: float, equity: float, currency: str, per_lot: float,
               limits: VolumeLimits, reward_risk: float | None = None) -> RiskSizing:
    """Lots = money at risk ÷ risk per lot, rounded down to the step and capped at the max volume.

    Raises UsageError when even the minimum volume risks more than asked (nothing is sent)."""
    asked = risk.money(balance, equity)
    if asked <= 0:
        raise UsageError(f"the {risk.base} is {format_money(balance if risk.base == 'balance' else equity, currency)}"
                         " — there is nothing to risk a percentage of", usage=RISK_USAGE, example=RISK_EXAMPLE)
    if per_lot <= 0:
        raise UsageError("the stop is at the entry — risk sizing needs a stop away from the entry",
                         usage=RISK_USAGE, example=RISK_EXAMPLE)
    volume = min(floor_to_step(asked / per_lot, limits), floor_to_step(limits.max, limits))
    while volume > 0 and volume * per_lot > asked * (1 + 1e-12):  # belt and braces against float noise
        volume = floor_to_step(volume - limits.step, limits)
    if volume < limits.min - _EPS:
        raise UsageError(
            f"risking {format_money(asked, currency)} with this stop allows {format_lots(max(volume, 0.0))}, "
            f"below the minimum of {format_lots(limits.min)} (which would risk "
            f"{format_money(limits.min * per_lot, currency)}) — widen the risk or tighten the stop; nothing was sent",
            usage=RISK_USAGE, example=RISK_EXAMPLE)
    return RiskSizing(risk=risk, asked=asked, realised=volume * per_lot, volume=volume, risk_per_lot=per_lot,
                      balance=balance, currency=currency, reward_risk=reward_risk)


async def broker_volume_limits(broker: object, account_id: str | None, spec: InstrumentSpec) -> VolumeLimits:
    """The symbol's volume limits from the broker's SymbolSpec when it offers one, else the instrument table."""
    if isinstance(broker, SupportsSymbolSpecs):
        try:
            found = await broker.symbol_spec(spec.symbol, account_id=account_id)
        except BrokerError:  # the table's limits still size safely; the broker checks the volume again
            found = None
        if found is not None and found.volume_step > 0:
            return VolumeLimits(found.volume_min, found.volume_step, found.volume_max)
    return VolumeLimits(spec.min_volume, spec.volume_step, spec.max_volume)
