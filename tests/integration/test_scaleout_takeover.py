"""A key's stream moves between worker processes on PostgreSQL (in-process apps on the simulator): a worker alone
streams every bound key; when it stops, the next worker takes its partitions and, at the new stream's first
connect, reconciles over REST — an alert crossed while no worker streamed is notified, once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import httpx
from cryptography.fernet import Fernet

from fxbot.alerts.rules import FireState, Mode, PriceCondition, PriceRule, PriceSide
from fxbot.app import App, build
from fxbot.config import parse_settings
from fxbot.domain.access import Scope
from fxbot.scaleout.roles import Role
from fxbot.simulator.runner import RunningSimulator
from fxbot.storage import Storage
from fxbot.stream.config import PumpConfig
from tests.waiting import eventually

ENV = {"FXBOT_SECRET_KEY": Fernet.generate_key().decode()}
CHAT = "telegram:-100123"
PUMP = PumpConfig(reconnect_min_s=0.05, reconnect_max_s=0.2, refresh_interval_s=0.5, expiry_interval_s=0.5,
                  restart_min_s=0.1, restart_max_s=0.3)


async def _set_bid(sim: RunningSimulator, bid: float) -> None:
    async with httpx.AsyncClient(base_url=sim.base_url) as client:
        answer = await client.post("/_sim/quotes/EURUSD", json={"bid": bid, "ask": round(bid + 0.0002, 5)})
        answer.raise_for_status()


async def _worker(sim: RunningSimulator, url: str, tmp_path: Path, name: str) -> App:
    settings = parse_settings({
        "database": {"path": str(tmp_path / "fxbot.db"), "url": url},
        "fxsocket": {"base_url": sim.base_url, "stream_url": sim.stream_url},
        "watchdog": {"enabled": False},
        "scaleout": {"lease_s": 2, "renew_s": 0.5, "worker_id": name},
    }, {})
    return await build(settings, env=ENV, role=Role.WORKER, pump_config=PUMP)


def _streams_key(app: App, key_id: int) -> bool:
    return app.pump is not None and any(s.key_id == key_id and s.connected for s in app.pump.statuses())


async def test_the_next_worker_takes_the_key_over_and_tells_what_crossed_meanwhile_once(
        sim_paused: RunningSimulator, postgres_url: str, tmp_path: Path) -> None:
    await _set_bid(sim_paused, 1.10000)
    async with await Storage.open(tmp_path / "fxbot.db", ENV, url=postgres_url) as storage:
        key = await storage.keys.add("telegram:42", "desk", sim_paused.keys["trade"], Scope.TRADE)
        await storage.bindings.bind(CHAT, key.id, "telegram:42")
    first = await _worker(sim_paused, postgres_url, tmp_path, "w1")
    second = await _worker(sim_paused, postgres_url, tmp_path, "w2")
    broker = await first.services.brokers.for_key(key.id)
    account_id = (await broker.list_accounts())[0].id
    rule = await first.services.alerts.repository.add(PriceRule(
        id=0, chat_id=CHAT, owner_id="telegram:42", account_id=account_id, created_at=datetime.now(UTC),
        symbol="EURUSD", digits=5, side=PriceSide.BID, condition=PriceCondition.CROSS_UP, level_points=110_100,
        mode=Mode.ONCE, state=FireState(last_points=110_000)))
    running = asyncio.create_task(first.run(install_signal_handlers=False))
    later: asyncio.Task[None] | None = None
    try:
        await eventually(lambda: _streams_key(first, key.id) and first.pump is not None
                         and "EURUSD" in first.pump.quote_subscriptions().get(key.id, set()),
                         "the first worker streaming the key, watching EURUSD for the rule")
        first.request_shutdown()  # it stops: its partitions are released at once
        await running
        await _set_bid(sim_paused, 1.10200)  # crossed while no worker streams the key
        later = asyncio.create_task(second.run(install_signal_handlers=False))
        await eventually(lambda: _streams_key(second, key.id), "the second worker streaming the key")

        async def told() -> bool:
            return any(item.notification.dedupe_key.startswith(f"alert:{rule.id}:")
                       for item in await second.services.alerts.outbox.pending())

        await eventually(told, "the crossing made meanwhile, reconciled over REST by the new owner")
        pending = [i for i in await second.services.alerts.outbox.pending()
                   if i.notification.dedupe_key.startswith(f"alert:{rule.id}:")]
        assert len(pending) == 1
    finally:
        second.request_shutdown()
        first.request_shutdown()
        await asyncio.gather(running, *([later] if later else []), return_exceptions=True)
