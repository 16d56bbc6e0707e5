"""A loopback fxbot cluster for the multi-process tests: `fxbot run --role …` subprocesses on one database, the
in-process simulator, the fake Telegram Bot API over HTTP (it sees every message sent), and the seeded keys, chats
and alerts; processes are started, killed (SIGKILL) and stopped by name; waits are event-driven."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import httpx
from cryptography.fernet import Fernet

from fxbot.alerts.repository import AlertRepository
from fxbot.alerts.rules import FireState, Mode, PriceCondition, PriceRule, PriceSide
from fxbot.domain.access import Role, Scope
from fxbot.simulator.runner import RunningSimulator
from fxbot.storage import Storage
from fxbot.storage.timestamps import to_db
from tests.fakes.telegram_api import FakeBotApi
from tests.fakes.telegram_calls import Call
from tests.fakes.telegram_transports import serve_bot_api
from tests.waiting import eventually

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
ACCOUNTS = ("acc_8xKm2", "acc_4pQr7")
SYMBOL = "EURUSD"
START_BID = 1.10000
OWNER = "telegram:4242"
ORDER_REF = re.compile(r"\bOrder (ord_\w+)")
STOP_S = 30.0
"""Generous real-time bound for a process to stop after SIGTERM (only bounds a hang)."""


@dataclass(frozen=True, slots=True)
class SeededAlert:
    """One seeded once-rule: who is told, on which key's account, at which level."""

    rule_id: int
    chat: int
    key_name: str
    level_points: int


@dataclass
class Seed:
    """What the cluster's database was filled with."""

    keys: dict[str, str] = field(default_factory=dict)  # key name -> the simulator key (secret)
    key_ids: dict[str, int] = field(default_factory=dict)
    accounts: dict[str, str] = field(default_factory=dict)  # key name -> the one account it reaches
    alerts: list[SeededAlert] = field(default_factory=list)

    def chats(self, account: str | None = None) -> list[int]:
        """The seeded chats (bound to a key of `account`, when given)."""
        return sorted({alert.chat for alert in self.alerts
                       if account is None or self.accounts[alert.key_name] == account})


@dataclass
class BotProcess:
    """One `fxbot run --role ROLE` subprocess; its output goes to a log file (read it when a test fails)."""

    name: str
    role: str
    process: asyncio.subprocess.Process
    log_path: Path
    log: IO[bytes]

    @property
    def running(self) -> bool:
        return self.process.returncode is None

    def output(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")


class Cluster:
    """The processes of one test, sharing one database (a path or a postgresql:// URL) and one config file."""

    def __init__(self, tmp_path: Path, database: str, sim: RunningSimulator, api: FakeBotApi, bot_api_url: str,
                 *, lease_s: float | None = None, renew_s: float | None = None) -> None:
        self.tmp_path = tmp_path
        self.database = database
        self.sim = sim
        self.api = api
        self.master_key = Fernet.generate_key().decode("ascii")
        self.processes: dict[str, BotProcess] = {}
        self.scaled_out = lease_s is not None
        self.config = tmp_path / "fxbot.yaml"
        db_line = f"  url: {database}\n" if database.startswith("postgresql") else f"  path: {database}\n"
        self.config.write_text(
            f"fxsocket:\n  base_url: {sim.base_url}\n  stream_url: {sim.stream_url}\n"
            f"database:\n{db_line}"
            f"telegram:\n  base_url: {bot_api_url.removesuffix('/bot')}\n  poll_timeout_s: 1\n"
            + ("" if lease_s is None else f"scaleout:\n  lease_s: {lease_s}\n  renew_s: {renew_s or lease_s / 4}\n"),
            encoding="utf-8")

    def open_storage(self) -> Awaitable[Storage]:
        """fxbot's Storage on the cluster's database, with its master key."""
        env = {"FXBOT_SECRET_KEY": self.master_key}
        if self.database.startswith("postgresql://"):
            return Storage.open(self.tmp_path / "fxbot.db", env, url=self.database)
        return Storage.open(Path(self.database), env)

    async def lease_owners(self) -> dict[str, str]:
        """The live leases (partition:N, worker:ID, scheduler) and who holds them."""
        async with await self.open_storage() as storage:
            rows = await storage.db.fetch_all("SELECT name, owner, lease_until FROM leases WHERE owner IS NOT NULL")
            now = to_db(datetime.now(UTC))
            return {str(row["name"]): str(row["owner"]) for row in rows if str(row["lease_until"]) > now}

    async def outbox_counts(self) -> dict[str, int]:
        async with await self.open_storage() as storage:
            rows = await storage.db.fetch_all("SELECT state, COUNT(*) FROM notify_outbox GROUP BY state")
            return {str(row[0]): int(row[1]) for row in rows}

    def env(self, name: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FXBOT_")}
        env.update(HOME=str(self.tmp_path), FXBOT_SECRET_KEY=self.master_key, FXBOT_TELEGRAM__TOKEN=FakeBotApi.TOKEN,
                   PYTHONFAULTHANDLER="1")
        if self.scaled_out:
            env["FXBOT_SCALEOUT__WORKER_ID"] = name  # the lease owner: the leases table names the process
        return env

    async def start(self, name: str, role: str = "all") -> BotProcess:
        log_path = self.tmp_path / f"{name}.log"
        log = log_path.open("ab")
        args = ["run", "--config", str(self.config)] + ([] if role == "all" else ["--role", role])
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "fxbot.cli", *args, stdin=asyncio.subprocess.DEVNULL, stdout=log,
            stderr=asyncio.subprocess.STDOUT, env=self.env(name), cwd=self.tmp_path)
        bot = BotProcess(name, role, process, log_path, log)
        self.processes[name] = bot
        return bot

    async def kill(self, name: str) -> None:
        """kill -9: no shutdown code runs, leases and claims are left to expire."""
        bot = self.processes[name]
        bot.process.send_signal(signal.SIGKILL)
        await bot.process.wait()

    async def stop_all(self) -> dict[str, int]:
        """SIGTERM every running process, wait for each (SIGKILL after STOP_S); their exit codes."""
        for bot in self.processes.values():
            if bot.running:
                bot.process.send_signal(signal.SIGTERM)
        codes: dict[str, int] = {}
        for name, bot in self.processes.items():
            try:
                codes[name] = await asyncio.wait_for(bot.process.wait(), STOP_S)
            except TimeoutError:  # a hang: faulthandler writes every thread's stack to the log, then it ends
                bot.process.send_signal(signal.SIGABRT)
                try:
                    codes[name] = await asyncio.wait_for(bot.process.wait(), STOP_S)
                except TimeoutError:
                    bot.process.kill()
                    codes[name] = await bot.process.wait()
            bot.log.close()
        return codes

    def logs(self) -> str:
        return "\n".join(f"--- {name} ({bot.role}, exit {bot.process.returncode}) ---\n{bot.output()[-4000:]}"
                         for name, bot in self.processes.items())

    # -- what the simulator and the fake chat platform see ---------------------------------------

    def streams_of(self, key: str) -> int:
        """Open /v1 streams of a key subscribed to the test symbol's quotes."""
        return sum(1 for conn in self.sim.state.hub.connections if conn.key == key and SYMBOL in conn.quote_symbols)

    async def wait_streaming(self, keys: Sequence[str], *, within_s: float = 60.0) -> None:
        await eventually(lambda: all(self.streams_of(key) == 1 for key in keys),
                         f"one stream subscribed to {SYMBOL} per key\n{self.logs()}", within_s=within_s)

    async def set_bid(self, bid: float) -> None:
        async with httpx.AsyncClient(base_url=self.sim.base_url) as client:
            answer = await client.post(f"/_sim/quotes/{SYMBOL}", json={"bid": bid, "ask": round(bid + 0.0002, 5)})
            answer.raise_for_status()

    def fills_told(self, chat: int) -> Counter[str]:
        """How many times each order's fill was told to a chat (alone or grouped with other notifications)."""
        return Counter(order for call in self.api.sent(chat) for order in ORDER_REF.findall(call.text))

    async def wait_fills(self, chats: Sequence[int], orders: Sequence[str], what: str, *,
                         within_s: float = 60.0) -> None:
        """Wait until each chat was told each order's fill; on a hang, say which chats lack which."""
        def missing() -> dict[int, list[str]]:
            return {chat: [o for o in orders if o not in self.fills_told(chat)] for chat in chats
                    if any(o not in self.fills_told(chat) for o in orders)}

        try:
            await eventually(lambda: not missing(), what, within_s=within_s, poll_s=0.1)
        except AssertionError:
            raise AssertionError(f"{what}: fills not told: {missing()}\n{self.logs()}") from None

    async def place_order(self, key: str) -> str:
        """A market BUY on the key's account, placed straight at the simulator (as from the terminal); its id."""
        async with httpx.AsyncClient(base_url=self.sim.base_url, headers={"Authorization": f"Bearer {key}"}) as client:
            answer = await client.post("/v1/orders", json={"symbol": SYMBOL, "type": "BUY", "volume": 0.1})
            answer.raise_for_status()
            return str(answer.json()["id"])

    def alert_messages(self) -> list[Call]:
        return [call for call in self.api.sent() if call.method == "sendMessage" and "rule#" in call.text]

    def told(self) -> Counter[tuple[int, str]]:
        """How many times each (chat, rule marker) was sent."""
        found: Counter[tuple[int, str]] = Counter()
        for call in self.alert_messages():
            for word in call.text.split():
                if word.startswith("rule#"):
                    found[(int(call.chat_id or 0), word.strip(".,;:)"))] += 1
        return found

    async def wait_told(self, alerts: Sequence[SeededAlert], *, within_s: float = 90.0) -> None:
        wanted = {(a.chat, marker(a)) for a in alerts}
        await eventually(lambda: wanted <= set(self.told()),
                         f"{len(wanted)} alert notifications (got {len(wanted & set(self.told()))})\n{self.logs()}",
                         within_s=within_s, poll_s=0.1)


def marker(alert: SeededAlert) -> str:
    return f"rule#{alert.chat}-{alert.level_points}"


async def add_sim_key(sim: RunningSimulator, key: str, account: str) -> None:
    """A trade key on the simulator that reaches one account only."""
    async with httpx.AsyncClient(base_url=sim.base_url) as client:
        answer = await client.post("/_sim/keys", json={"add": {"key": key, "scope": "trade", "accounts": [account]}})
        answer.raise_for_status()


async def seed(cluster: Cluster, *, chats_per_key: int, levels: Sequence[int], keys_per_account: int = 1) -> Seed:
    """Keys (`keys_per_account` on each simulator account), private chats bound to them, and per chat one
    once-rule per level: EURUSD bid crossing up through the level; each rule's note carries its marker."""
    found = Seed()
    accounts: dict[str, str] = {}
    for index in range(keys_per_account * len(ACCOUNTS)):
        name = f"k{index}"
        secret = f"sk_test_cluster_{index}_0123456789abcdef"
        accounts[name] = ACCOUNTS[index % len(ACCOUNTS)]
        await add_sim_key(cluster.sim, secret, accounts[name])
        found.keys[name] = secret
    found.accounts = accounts
    async with await cluster.open_storage() as storage:
        repo = AlertRepository(storage.db)
        for index, (name, secret) in enumerate(found.keys.items()):
            key = await storage.keys.add(OWNER, name, secret, Scope.TRADE)
            found.key_ids[name] = key.id
            for n in range(chats_per_key):
                chat = 1000 + index * chats_per_key + n
                chat_id = f"telegram:{chat}"
                await storage.bindings.bind(chat_id, key.id, OWNER, account_id=accounts[name])
                await storage.members.set_role(chat_id, OWNER, Role.ADMIN, "Owner")
                rules = [PriceRule(
                    id=0, chat_id=chat_id, owner_id=OWNER, account_id=accounts[name], created_at=T0,
                    symbol=SYMBOL, digits=5, side=PriceSide.BID, condition=PriceCondition.CROSS_UP,
                    level_points=level, mode=Mode.ONCE, note=f"rule#{chat}-{level}",
                    state=FireState(last_points=round(START_BID * 1e5))) for level in levels]
                for rule in rules:
                    stored = await repo.add(rule)
                    found.alerts.append(SeededAlert(stored.id, chat, name, stored.level_points))
    return found


@asynccontextmanager
async def cluster_on(database: str, sim: RunningSimulator, tmp_path: Path, **timings: float) -> AsyncIterator[Cluster]:
    """A cluster with the fake Bot API serving; every process still running is stopped at the end."""
    api = FakeBotApi()
    async with serve_bot_api(api) as url:
        cluster = Cluster(tmp_path, database, sim, api, url, **timings)
        try:
            yield cluster
        finally:
            await cluster.stop_all()
