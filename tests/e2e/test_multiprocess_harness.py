"""The multi-process harness on one `fxbot run` process (role all): seeded keys, chats and alerts reach the fake
Telegram Bot API over HTTP, each crossing told exactly once, and the process stops cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest

from fxbot.simulator.runner import RunningSimulator
from tests.e2e.multiprocess_cluster import START_BID, cluster_on, seed

LEVELS = (110_050, 110_150)


@pytest.mark.timeout(240)
async def test_one_process_tells_every_crossing_once(sim_paused: RunningSimulator, tmp_path: Path) -> None:
    async with cluster_on(str(tmp_path / "fxbot.db"), sim_paused, tmp_path) as cluster:
        await cluster.set_bid(START_BID)
        seeded = await seed(cluster, chats_per_key=6, levels=LEVELS)
        await cluster.start("bot")
        await cluster.wait_streaming(list(seeded.keys.values()))

        await cluster.set_bid(1.10100)  # through the first level only
        first = [a for a in seeded.alerts if a.level_points == LEVELS[0]]
        await cluster.wait_told(first)
        await cluster.set_bid(1.10200)
        await cluster.wait_told(seeded.alerts)
        await cluster.api.settle(0.5)

        told = cluster.told()
        assert sorted(told.values()) == [1] * len(seeded.alerts), told
        codes = await cluster.stop_all()
    assert codes == {"bot": 0}, cluster.logs()
