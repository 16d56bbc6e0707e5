"""The simulator's trading accounts: their fixed specification and the default pair."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AccountSpec:
    """A simulated MT4/MT5 account as it exists when the simulator starts."""

    id: str
    login: int
    name: str
    broker: str
    platform: str  # "MT4" | "MT5"
    currency: str
    balance: float
    leverage: int
    commission_per_lot: float  # account currency, per lot, per side


DEFAULT_ACCOUNTS: tuple[AccountSpec, ...] = (
    AccountSpec(
        id="acc_8xKm2",
        login=51234567,
        name="Demo USD (MT5)",
        broker="ICMarkets",
        platform="MT5",
        currency="USD",
        balance=10_000.0,
        leverage=100,
        commission_per_lot=3.5,
    ),
    AccountSpec(
        id="acc_4pQr7",
        login=2098765,
        name="Demo EUR (MT4)",
        broker="Pepperstone",
        platform="MT4",
        currency="EUR",
        balance=5_000.0,
        leverage=30,
        commission_per_lot=3.0,
    ),
)
