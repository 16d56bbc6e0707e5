"""`fxbot run` with `webhooks:` enabled: the receiver starts with the app, a request's order reaches the console
chat through the console adapter, and a request id seen before a restart is still refused after it."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from fxbot.config import Settings, WebhookSettings
from fxbot.simulator.runner import RunningSimulator
from tests.e2e.console_app_driver import ConsoleApp

PUBLIC = "https://hooks.example"


class WebhookConsoleApp(ConsoleApp):
    """The real app with the console adapter and the webhook receiver on a free loopback port."""

    def settings(self) -> Settings:
        settings = super().settings()
        settings.webhooks = WebhookSettings(enabled=True, host="127.0.0.1", port=0, public_url=PUBLIC)
        return settings

    async def hook(self, token: str, body: str) -> httpx.Response:
        assert self.app is not None and self.app.webhooks is not None
        return await self.http.post(f"{self.app.webhooks.url}/webhook/{token}", content=body)


async def _positions(app: ConsoleApp) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = await app.rest("GET", "/v1/positions")
    return rows


async def test_the_app_serves_webhooks_into_the_console_chat_and_an_id_runs_once_across_a_restart(
        sim_paused: RunningSimulator, tmp_path: Path, master_env: dict[str, str]) -> None:
    first = WebhookConsoleApp(sim_paused, tmp_path / "bot.db", master_env)
    await first.start()
    try:
        created = await first.say("/webhook new tv")
        assert f"{PUBLIC}/webhook/" in created
        token = created.split(f"{PUBLIC}/webhook/")[1].split()[0]
        body = json.dumps({"command": "buy FX:EURUSD 0.1", "id": "alert-1"})
        answer = await first.hook(token, body)
        assert answer.status_code == 200, answer.text
        await first.wait_for("via webhook tv")
        assert [p["symbol"] for p in await _positions(first)] == ["EURUSD"]
    finally:
        await first.kill()
    second = WebhookConsoleApp(sim_paused, tmp_path / "bot.db", master_env)
    await second.start()
    try:
        assert (await second.hook(token, body)).status_code == 409
        assert len(await _positions(second)) == 1
    finally:
        await second.kill()
