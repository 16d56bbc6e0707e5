"""Several fxbot processes on one PostgreSQL database (1 front, 1 delivery, 3 workers, 1 scheduler as real
`fxbot run --role …` subprocesses) against the simulator and the fake Telegram Bot API over HTTP:
- kill -9 a worker mid-stream: its keys move to another worker, every alert crossing (also those during the
  gap) is told exactly once, and a fill is told once;
- kill -9 the delivery process mid-storm: a new one delivers the rest, nothing lost, nothing twice;
- SIGTERM ends every process, also workers stopping while they hand keys over.
Waits are event-driven (the fake's received messages, the simulator's streams, the leases table) with generous
bounds; nothing asserts a duration."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from fxbot.scaleout.partitions import partition_name, partition_of
from fxbot.simulator.runner import RunningSimulator
from tests.e2e.multiprocess_cluster import START_BID, Cluster, Seed, cluster_on, seed
from tests.fakes.telegram_calls import retry_after
from tests.waiting import eventually

LEASE_S = 2.0
RENEW_S = 0.5
PARTITIONS = 32  # the default: the same on every process
WORKERS = ("w1", "w2", "w3")


async def start_cluster(cluster: Cluster, seeded: Seed) -> None:
    await cluster.start("front", "front")
    await cluster.start("delivery", "delivery")
    for name in WORKERS:
        await cluster.start(name, "worker")
    await cluster.start("scheduler", "scheduler")
    await cluster.wait_streaming(list(seeded.keys.values()), within_s=120)


async def owners_of_keys(cluster: Cluster, seeded: Seed) -> dict[str, str]:
    """key name -> the worker holding its partition."""
    leases = await cluster.lease_owners()
    return {name: leases.get(partition_name(partition_of(key_id, PARTITIONS)), "")
            for name, key_id in seeded.key_ids.items()}


def stopped_cleanly(codes: dict[str, int], *, but: tuple[str, ...]) -> bool:
    """Every process not named in `but` exited 0 on SIGTERM."""
    return all(code == 0 for name, code in codes.items() if name not in but)


def no_message_twice(cluster: Cluster) -> None:
    texts = Counter((call.chat_id, call.text) for call in cluster.api.sent())
    twice = {key: n for key, n in texts.items() if n > 1}
    assert not twice, twice


@pytest.mark.timeout(300)
async def test_a_killed_worker_hands_its_keys_over_and_every_crossing_is_told_once(
        sim_paused: RunningSimulator, postgres_url: str, tmp_path: Path) -> None:
    levels = (110_050, 110_150, 110_250)
    async with cluster_on(postgres_url, sim_paused, tmp_path, lease_s=LEASE_S, renew_s=RENEW_S) as cluster:
        await cluster.set_bid(START_BID)
        seeded = await seed(cluster, chats_per_key=4, levels=levels, keys_per_account=3)  # 6 keys, 24 chats
        await start_cluster(cluster, seeded)
        await eventually(lambda: _balanced(cluster, set(WORKERS)), f"the partitions split among the workers\n"
                         f"{cluster.logs()}", within_s=60, poll_s=0.2)
        owners = await owners_of_keys(cluster, seeded)

        await cluster.set_bid(1.10100)  # the first level: every chat, live streams
        await cluster.wait_told([a for a in seeded.alerts if a.level_points == levels[0]])

        victim = Counter(owners.values()).most_common(1)[0][0]  # the worker streaming the most keys
        moved = {name for name, owner in owners.items() if owner == victim}
        victim_key = sorted(moved)[0]
        account = seeded.accounts[victim_key]
        filled = seeded.chats(account)  # every chat bound to a key of that account is told its fills
        first = await cluster.place_order(seeded.keys[victim_key])  # seen live by the victim (and the others)
        await cluster.wait_fills(filled, [first], f"the first fill told to the chats of {account}")

        await cluster.kill(victim)
        await cluster.set_bid(1.10200)  # the second level while the victim's keys have no stream
        second = await cluster.place_order(seeded.keys[victim_key])  # a fill while they have no stream
        await eventually(lambda: _moved_away(cluster, seeded, moved, victim),
                         f"the keys {sorted(moved)} of {victim} held by another worker\n{cluster.logs()}",
                         within_s=90)
        await cluster.wait_streaming(list(seeded.keys.values()), within_s=90)
        await cluster.wait_told([a for a in seeded.alerts if a.level_points <= levels[1]])

        await cluster.set_bid(1.10300)  # the third level: the new owner's stream is live
        await cluster.wait_told(seeded.alerts)
        await cluster.wait_fills(filled, [first, second], f"the fill made during the gap told to the chats of "
                                 f"{account} (keys {sorted(moved)} moved from {victim})")
        await cluster.api.settle(1.0)

        told = cluster.told()
        assert len(told) == len(seeded.alerts) and set(told.values()) == {1}, told
        assert {chat: cluster.fills_told(chat) for chat in seeded.chats()} == \
            {chat: Counter([first, second]) if chat in filled else Counter() for chat in seeded.chats()}
        no_message_twice(cluster)
        codes = await cluster.stop_all()
    assert codes[victim] == -9 and stopped_cleanly(codes, but=(victim,)), f"{codes}\n{cluster.logs()}"


async def _balanced(cluster: Cluster, workers: set[str]) -> bool:
    """Every partition held, by these workers only, each holding its fair share (the split has settled)."""
    leases = await cluster.lease_owners()
    held = Counter(owner for name, owner in leases.items() if name.startswith("partition:"))
    fair = {PARTITIONS // len(workers), -(-PARTITIONS // len(workers))}
    return set(held) == workers and sum(held.values()) == PARTITIONS and set(held.values()) <= fair


async def _moved_away(cluster: Cluster, seeded: Seed, keys: set[str], victim: str) -> bool:
    owners = await owners_of_keys(cluster, seeded)
    return all(owners[name] in WORKERS and owners[name] != victim for name in keys)


@pytest.mark.timeout(300)
async def test_a_killed_delivery_process_loses_nothing_and_sends_nothing_twice(
        sim_paused: RunningSimulator, postgres_url: str, tmp_path: Path) -> None:
    levels = tuple(110_010 + 10 * n for n in range(6))
    async with cluster_on(postgres_url, sim_paused, tmp_path, lease_s=LEASE_S, renew_s=RENEW_S) as cluster:
        await cluster.set_bid(START_BID)
        seeded = await seed(cluster, chats_per_key=10, levels=levels, keys_per_account=1)  # 20 chats, 120 alerts
        await start_cluster(cluster, seeded)
        await eventually(lambda: _balanced(cluster, set(WORKERS)), f"the partitions split among the workers\n"
                         f"{cluster.logs()}", within_s=60, poll_s=0.2)

        await cluster.set_bid(1.10100)  # every level at once: a storm of 120 notifications
        await eventually(lambda: len(cluster.alert_messages()) >= 10, "the storm under way", within_s=90)
        cluster.api.fail("sendMessage", retry_after(60), times=100_000)  # from now on every send is refused
        await eventually(lambda: _recorded_as_sent(cluster), "every delivered message recorded as sent",
                         within_s=60)
        delivered_before = sum(cluster.told().values())
        assert delivered_before < len(seeded.alerts), "the storm was over before the kill"
        await cluster.kill("delivery")  # mid-storm, holding claims on pending rows
        cluster.api.clear_failures()
        await cluster.start("delivery2", "delivery")

        await cluster.wait_told(seeded.alerts, within_s=120)
        await cluster.api.settle(1.0)
        told = cluster.told()
        assert len(told) == len(seeded.alerts) and set(told.values()) == {1}, told
        no_message_twice(cluster)
        assert (await cluster.outbox_counts()).get("pending", 0) == 0
        codes = await cluster.stop_all()
    assert codes["delivery"] == -9 and stopped_cleanly(codes, but=("delivery",)), f"{codes}\n{cluster.logs()}"


async def _recorded_as_sent(cluster: Cluster) -> bool:
    counts = await cluster.outbox_counts()
    return counts.get("sent", 0) == sum(cluster.told().values())  # one outbox row per alert (messages may group)


@pytest.mark.timeout(300)
async def test_every_role_ends_on_sigterm_while_workers_hand_keys_over(
        sim_paused: RunningSimulator, postgres_url: str, tmp_path: Path) -> None:
    """SIGTERM to all at once: each worker releases its partitions and the others start taking them over while
    they stop too; a stream being stopped must not keep a worker from ending (it once swallowed the stop)."""
    async with cluster_on(postgres_url, sim_paused, tmp_path, lease_s=LEASE_S, renew_s=RENEW_S) as cluster:
        await cluster.set_bid(START_BID)
        seeded = await seed(cluster, chats_per_key=2, levels=(110_050,), keys_per_account=3)
        await start_cluster(cluster, seeded)
        await eventually(lambda: _balanced(cluster, set(WORKERS)), "the partitions split among the workers",
                         within_s=60, poll_s=0.2)
        codes = await cluster.stop_all()
    assert set(codes.values()) == {0}, f"{codes}\n{cluster.logs()}"
