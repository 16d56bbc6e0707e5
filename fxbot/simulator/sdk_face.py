"""The SDK face of the simulator: its view of the shared engine, fed by every event batch the hub publishes."""

from __future__ import annotations

from typing import Any

from fxbot.simulator.config import SimConfig
from fxbot.simulator.engine import SimEngine
from fxbot.simulator.events import SimEvent
from fxbot.simulator.sdk_book import SdkBook, is_mt4
from fxbot.simulator.sdk_candles import BrokerBars
from fxbot.simulator.sdk_errors import CommandIds
from fxbot.simulator.sdk_events import EventRecorder
from fxbot.simulator.sdk_stoplimit_desk import StopLimitDesk
from fxbot.simulator.sdk_streams import SdkStreams
from fxbot.simulator.sdk_symbols import SymbolNames
from fxbot.simulator.sdk_tickets import TicketBook
from fxbot.simulator.sdk_time import BrokerClock
from fxbot.simulator.sdk_wire import quote
from fxbot.simulator.state import SimState


class SdkFace:
    """Broker time, symbol names, tickets, deals and SDK streams over `state`'s engine (a hub listener).

    The engine is shared with /v1: an order placed on either face shows on both. After `/_sim/reset` the
    face notices the new engine and starts a new book (tickets keep counting).
    """

    def __init__(self, state: SimState, config: SimConfig) -> None:
        self.state = state
        self.started_at = state.now()
        self.clock = BrokerClock(config.server_utc_offset_h)
        self.names = SymbolNames(config.symbol_suffix)
        self.command_ids = CommandIds()
        self.streams = SdkStreams(
            self, config.account_update_interval_ms / 1000.0, config.sdk_heartbeat_interval_s
        )
        self._tickets = TicketBook()
        self._engine: SimEngine | None = None
        self._book = SdkBook(self._tickets)
        self._platforms: dict[str, str] = {}
        self._stop_limits = StopLimitDesk(self)

    def __repr__(self) -> str:
        return f"SdkFace({self.clock!r}, {self.names!r}, {self.streams!r})"

    # --- the current engine and the face's memory of it -----------------------------------------
    @property
    def engine(self) -> SimEngine:
        self._sync()
        return self.state.engine

    @property
    def book(self) -> SdkBook:
        self._sync()
        return self._book

    def _sync(self) -> None:
        engine = self.state.engine
        if engine is not self._engine:
            self._engine = engine
            self._book = SdkBook(self._tickets)
            self._platforms = {str(item["id"]): str(item["platform"]) for item in engine.accounts_list()}

    def platform(self, account_id: str) -> str:
        self._sync()
        return self._platforms.get(account_id, "MT5")

    def mt4(self, account_id: str) -> bool:
        return is_mt4(self.platform(account_id))

    def bars(self) -> BrokerBars:
        return BrokerBars(self.engine, self.clock)

    # --- prices ----------------------------------------------------------------------------------
    def bid_ask(self, symbol: str) -> tuple[float, float]:
        current = self.engine.quote(symbol)
        return float(current["bid"]), float(current["ask"])

    def current_price(self, symbol: str, *, buy: bool) -> float:
        """Where an order of that direction would fill now: the ask for buys, the bid for sells."""
        bid, ask = self.bid_ask(symbol)
        return ask if buy else bid

    def quote(self, symbol: str) -> dict[str, Any]:
        return quote(self.engine.quote(symbol), self.names.broker(symbol), self.clock)

    # --- hub listener ----------------------------------------------------------------------------
    def publish(self, events: list[SimEvent]) -> None:
        """Book deals, arm stop-limits, fan frames out; runs for every batch, whichever face caused it."""
        changes = EventRecorder(self.book, self.engine, self._platforms).record(events, self.state.now())
        self.streams.fan_out(changes)
        if changes.quotes and len(self.book.stop_limits):
            self._stop_limits.trigger(changes.quotes)

    def orders_changed(self, account_id: str) -> None:
        """A change the engine did not announce (a stop-limit order placed, changed or cancelled)."""
        self.streams.positions(account_id)

    def close_all(self, code: int, reason: str) -> int:
        return self.streams.close_all(code, reason)

    def close_for_key(self, key: str) -> int:
        return self.streams.close_for_key(key, 1008, "the API key was revoked")

    def reset_throttles(self) -> None:
        self.streams.reset_throttles()
