"""The SDK face's open WebSockets: per-account topic subscriptions, frame fan-out, heartbeats and stream faults."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.websockets import WebSocket

from fxbot.simulator.sdk_events import Changes
from fxbot.simulator.sdk_positions import opened_orders
from fxbot.simulator.sdk_wire import account_summary, trade_event
from fxbot.simulator.stream_hub import StreamConnection

if TYPE_CHECKING:
    from fxbot.simulator.sdk_face import SdkFace

log = logging.getLogger(__name__)

Subscription = tuple[str, str | None, str | None]  # (topic, broker symbol, timeframe)
# A frame whose payload misses required fields: the SDK's parser raises on it (a client must survive that).
MALFORMED_FRAME = '{"type":"tick","symbol":"EURUSD","data":{"symbol":"EURUSD","bid":1.0}}'


def dumps(payload: dict[str, Any]) -> str:
    return json.dumps(payload, separators=(",", ":"))


class SdkConnection(StreamConnection):
    """One accepted SDK WebSocket, bound to one account, with its topic subscriptions."""

    def __init__(self, websocket: WebSocket, key: str, account_id: str) -> None:
        super().__init__(websocket, key)
        self.account_id = account_id
        self.subscriptions: set[Subscription] = set()
        self.silent_until = 0.0
        self.dropped = 0

    def __repr__(self) -> str:
        return f"SdkConnection(account={self.account_id!r}, subscriptions={sorted(map(str, self.subscriptions))})"

    def wants(self, topic: str, symbol: str | None = None, timeframe: str | None = None) -> bool:
        return (topic, symbol, timeframe) in self.subscriptions

    def push(self, payload: dict[str, Any]) -> None:
        """Queue a frame; while silenced it is dropped and counted, and the count is told afterwards."""
        loop_time = asyncio.get_running_loop().time()
        if loop_time < self.silent_until:
            self.dropped += 1
            return
        if self.dropped:
            dropped, self.dropped = self.dropped, 0
            self.send(dumps({"type": "warning", "dropped": dropped}))
        self.send(dumps(payload))


@dataclass(slots=True)
class _Throttle:
    last_sent: float = float("-inf")
    pending: dict[str, Any] | None = None
    timer: asyncio.TimerHandle | None = None


class SdkStreams:
    """Every SDK stream connection; turns each batch of changes into the frames their subscriptions ask for."""

    def __init__(self, face: SdkFace, account_interval_s: float, heartbeat_s: float) -> None:
        self.face = face
        self.account_interval_s = account_interval_s
        self.heartbeat_s = heartbeat_s
        self.connections: set[SdkConnection] = set()
        self._throttles: dict[str, _Throttle] = {}
        self._heartbeat: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return f"SdkStreams(<{len(self.connections)} connections>)"

    def add(self, connection: SdkConnection) -> None:
        self.connections.add(connection)

    def remove(self, connection: SdkConnection) -> None:
        self.connections.discard(connection)

    def _of(self, account_id: str, topic: str) -> list[SdkConnection]:
        return [c for c in self.connections if c.account_id == account_id and c.wants(topic)]

    # --- fan-out ---------------------------------------------------------------------------------
    def fan_out(self, changes: Changes) -> None:
        if not self.connections:
            return
        face = self.face
        for symbol in dict.fromkeys(changes.quotes):
            name = face.names.broker(symbol)
            tick: dict[str, Any] | None = None
            bars: dict[str, dict[str, Any] | None] = {}
            for conn in list(self.connections):
                for topic, sub_symbol, timeframe in list(conn.subscriptions):
                    if sub_symbol != name:
                        continue
                    if topic == "prices":
                        tick = tick or self.tick_frame(symbol)
                        conn.push(tick)
                    elif topic == "bars" and timeframe is not None:
                        if timeframe not in bars:
                            bars[timeframe] = self.bar_frame(symbol, timeframe)
                        frame = bars[timeframe]
                        if frame is not None:
                            conn.push(frame)
        for deal in changes.deals:
            subscribers = self._of(deal.account_id, "trades")
            if subscribers:
                data = trade_event(deal, face.names.broker(deal.symbol), face.clock, mt4=face.mt4(deal.account_id))
                for conn in subscribers:
                    conn.push({"type": "trade", "data": data})
        for account_id in sorted(changes.order_accounts):
            self.positions(account_id)
        for account_id, snapshot in changes.account_updates.items():
            self._account_update(account_id, snapshot)

    def positions(self, account_id: str) -> None:
        """Send the account's full positions snapshot to its `positions` subscribers."""
        subscribers = self._of(account_id, "positions")
        if subscribers:
            frame = {"type": "positions", "data": opened_orders(self.face, account_id)}
            for conn in subscribers:
                conn.push(frame)

    def tick_frame(self, symbol: str) -> dict[str, Any]:
        return {"type": "tick", "symbol": self.face.names.broker(symbol), "data": self.face.quote(symbol)}

    def bar_frame(self, symbol: str, timeframe: str) -> dict[str, Any] | None:
        bar = self.face.bars().current(symbol, timeframe, self.face.state.now())
        if bar is None:
            return None
        return {"type": "bar", "symbol": self.face.names.broker(symbol), "timeframe": timeframe, "data": bar}

    def terminal_frame(self, account_id: str) -> dict[str, Any]:
        face = self.face
        connected = face.engine.account_status(account_id) == "connected"
        return {"type": "terminal", "data": {
            "connected": connected, "tradeAllowed": connected and not face.engine.market_closed,
            "serverTime": face.clock.render(face.state.now()),
        }}  # fmt: skip

    def account_frame(self, snapshot: dict[str, Any]) -> dict[str, Any]:
        return {"type": "account", "data": account_summary(snapshot)}

    def _account_update(self, account_id: str, snapshot: dict[str, Any]) -> None:
        """Latest-wins: at most one `account` frame per interval and account."""
        if not self._of(account_id, "account"):
            return
        throttle = self._throttles.setdefault(account_id, _Throttle())
        loop = asyncio.get_running_loop()
        wait = throttle.last_sent + self.account_interval_s - loop.time()
        if wait <= 0 and throttle.timer is None:
            throttle.last_sent = loop.time()
            self._send_account(account_id, snapshot)
            return
        throttle.pending = snapshot
        if throttle.timer is None:
            throttle.timer = loop.call_later(max(wait, 0.0), self._flush_account, account_id)

    def _flush_account(self, account_id: str) -> None:
        throttle = self._throttles.get(account_id)
        if throttle is None:
            return
        throttle.timer = None
        if throttle.pending is not None:
            snapshot, throttle.pending = throttle.pending, None
            throttle.last_sent = asyncio.get_running_loop().time()
            self._send_account(account_id, snapshot)

    def _send_account(self, account_id: str, snapshot: dict[str, Any]) -> None:
        frame = self.account_frame(snapshot)
        for conn in self._of(account_id, "account"):
            conn.push(frame)

    # --- heartbeat -------------------------------------------------------------------------------
    def start(self) -> None:
        if self._heartbeat is None:
            self._heartbeat = asyncio.get_running_loop().create_task(self._beat(), name="sim-sdk-heartbeat")

    async def stop(self) -> None:
        task, self._heartbeat = self._heartbeat, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_s)
            try:
                self.heartbeat()
            except Exception:
                log.exception("SDK terminal heartbeat failed; it goes on")

    def heartbeat(self) -> None:
        """One `terminal` frame to every subscriber (about once a second, as the real terminal does)."""
        frames: dict[str, dict[str, Any]] = {}
        for conn in list(self.connections):
            if conn.wants("terminal"):
                if conn.account_id not in frames:
                    frames[conn.account_id] = self.terminal_frame(conn.account_id)
                conn.push(frames[conn.account_id])

    # --- faults and lifecycle --------------------------------------------------------------------
    def inject(self, *, account_id: str | None, warning: int, malformed: bool, silence_s: float | None) -> int:
        """Stream faults on every SDK connection (of one account): a `warning`, a bad frame, a silence.

        During a silence every frame is dropped and counted; the next frame after it is preceded by a
        `warning` with that count. `silence_s=0` ends a silence now.
        """
        targets = [c for c in self.connections if account_id is None or c.account_id == account_id]
        for conn in targets:
            if warning:
                conn.send(dumps({"type": "warning", "dropped": warning}))
            if malformed:
                conn.send(MALFORMED_FRAME)
            if silence_s is not None:
                conn.silent_until = asyncio.get_running_loop().time() + silence_s
        return len(targets)

    def close_all(self, code: int, reason: str) -> int:
        closing = list(self.connections)
        for conn in closing:
            conn.close(code, reason)
        return len(closing)

    def close_for_key(self, key: str, code: int, reason: str) -> int:
        closing = [conn for conn in self.connections if conn.key == key]
        for conn in closing:
            conn.close(code, reason)
        return len(closing)

    def reset_throttles(self) -> None:
        for throttle in self._throttles.values():
            if throttle.timer is not None:
                throttle.timer.cancel()
        self._throttles.clear()
