"""A Telegram group that became a supergroup gets its alerts and fills under the new id, not just its rows."""

from __future__ import annotations

from pathlib import Path

import httpx

from fxbot.simulator.runner import RunningSimulator
from tests.fakes.telegram_calls import migrated
from tests.integration.telegram.harness import telegram_app
from tests.waiting import eventually

OLD_ID, NEW_ID = -1001234, -1009999


async def test_alerts_and_fills_of_a_migrated_group_go_to_its_new_id(
    sim_paused: RunningSimulator, tmp_path: Path
) -> None:
    async with telegram_app(sim_paused, tmp_path) as tg, httpx.AsyncClient(timeout=10.0) as http:
        api, app = tg.api, tg.app
        owner, group = api.user(100, "Olga", username="olga"), api.group(OLD_ID, "desk")
        api.set_admins(OLD_ID, [owner])
        trade = sim_paused.keys["trade"]
        await tg.say(owner, f"/link {trade} main trade", expect=lambda c: "linked key" in c.text)
        await tg.say(owner, "/bind main", chat=group, expect=lambda c: "now uses key" in c.text)
        quote = (await http.get(f"{sim_paused.base_url}/v1/quotes/EURUSD",
                                headers={"Authorization": f"Bearer {trade}"})).json()
        level = round(float(quote["bid"]) + 0.0010, 5)
        await tg.say(owner, f"/alert EURUSD above {level:.5f}", chat=group, expect=lambda c: "Alert #1 set" in c.text)
        assert app.pump is not None
        pump = app.pump
        await eventually(lambda: any("EURUSD" in s for s in pump.quote_subscriptions().values()), "the subscription")

        api.fail("sendMessage", migrated(NEW_ID), chat_id=OLD_ID)  # the group became a supergroup
        api.send_text(group, owner, "/help")
        await api.wait_for("sendMessage", lambda c: c.chat_id == NEW_ID)
        assert [r.chat_id for r in app.services.alerts.engine.rules_for_chat(f"telegram:{NEW_ID}")] == \
            [f"telegram:{NEW_ID}"]
        assert app.services.alerts.engine.rules_for_chat(f"telegram:{OLD_ID}") == []

        await http.post(f"{sim_paused.base_url}/_sim/quotes/EURUSD", json={"bid": level + 0.0002})
        await api.wait_for("sendMessage", lambda c: c.chat_id == NEW_ID and "is above" in c.text)
        await http.post(f"{sim_paused.base_url}/v1/orders", headers={"Authorization": f"Bearer {trade}"},
                        json={"symbol": "EURUSD", "type": "BUY", "volume": 0.1})
        await api.wait_for("sendMessage", lambda c: c.chat_id == NEW_ID and "Position opened" in c.text)
        rows = await app.storage.db.fetch_all(
            "SELECT chat_id, title FROM notify_outbox WHERE kind IN ('price_alert', 'fill') ORDER BY id")
        group_rows = [(str(r["chat_id"]), str(r["title"])) for r in rows if r["chat_id"] != "telegram:100"]
        assert [chat for chat, _ in group_rows] == [f"telegram:{NEW_ID}"] * 2, group_rows  # none at the old id
