"""The webhook receiver over real loopback HTTP against the simulator: plain-text and JSON bodies place orders
as the endpoint's creator in its chat (results posted there, audited "via webhook"); a wrong token, a revoked
endpoint, a replay, oversized and malformed bodies, a demoted admin's endpoint, a read-only key, a wrong secret
and a sender off the allow-list are each refused with the right status and nothing traded."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest

from fxbot.chat.types import ChatRef, Reply
from fxbot.config import WebhookSettings
from fxbot.domain.access import Role
from fxbot.domain.instruments import INSTRUMENTS
from fxbot.services.chat_context import StorageChatContextResolver
from fxbot.webhooks.server import WebhookServer
from fxbot.webhooks.wiring import build_webhooks
from tests.e2e.conftest import BotHarness, reply_text

PUBLIC = "https://hooks.example"
MAX_BODY = 2048
RATE = 5


@dataclass
class Hooks:
    """The receiver on a free loopback port, what it posted to chats, and an HTTP client."""

    bot: BotHarness
    server: WebhookServer
    client: httpx.AsyncClient
    posted: list[tuple[ChatRef, Reply]] = field(default_factory=list)

    async def post(self, token: str, body: str | bytes) -> httpx.Response:
        return await self.client.post(f"/webhook/{token}", content=body)

    def posted_in(self, chat: ChatRef) -> str:
        return "\n".join(reply_text(reply) for where, reply in self.posted if where.id == chat.id)

    async def new(self, name: str = "tv", *, chat: ChatRef | None = None, extra: str = "") -> str:
        """Create an endpoint (in a group: then its URL from the owner's private chat); its token."""
        chat = chat or self.bot.private_chat
        replies = await self.bot.say(f"/webhook new {name} {extra}".strip(), chat=chat)
        if not chat.is_private:
            assert "private chat" in reply_text(replies)
            assert PUBLIC not in reply_text(replies)  # never shown in a group
            replies = await self.bot.say(f"/webhook token {name}")
        return token_of(replies)


def token_of(replies: list[Reply]) -> str:
    text = reply_text(replies)
    start = text.index(f"{PUBLIC}/webhook/") + len(f"{PUBLIC}/webhook/")
    return text[start:].split()[0]


@pytest.fixture
async def hooks(bot: BotHarness) -> AsyncIterator[Hooks]:
    async with open_hooks(bot) as opened:
        yield opened


@contextlib.asynccontextmanager
async def open_hooks(bot: BotHarness, *, trusted_proxies: tuple[str, ...] = ()) -> AsyncIterator[Hooks]:
    """The receiver over the harness's bot on a free loopback port."""
    settings = WebhookSettings(enabled=True, host="127.0.0.1", port=0, public_url=PUBLIC, max_body_bytes=MAX_BODY,
                               rate_limit_per_minute=RATE, trusted_proxies=list(trusted_proxies))
    posted: list[tuple[ChatRef, Reply]] = []

    async def post(chat: ChatRef, reply: Reply) -> None:
        posted.append((chat, reply))

    service, server = build_webhooks(
        settings, db=bot.storage.db, handler=bot.dispatcher,
        resolver=StorageChatContextResolver(storage=bot.storage, platforms_reporting_admins=frozenset()),
        post=post, known_symbols=sorted(INSTRUMENTS), clock=bot.clock.now, monotonic=bot.clock.monotonic)
    assert server is not None
    bot.services.webhooks = service
    await server.start()
    client = httpx.AsyncClient(base_url=server.url, timeout=10.0)
    try:
        yield Hooks(bot=bot, server=server, client=client, posted=posted)
    finally:
        await client.aclose()
        await server.stop()


async def test_a_tradingview_plain_text_body_places_the_order_and_the_result_is_posted(hooks: Hooks) -> None:
    bot = hooks.bot
    token = await hooks.new()
    answer = await hooks.post(token, "buy FX:EURUSD 0.1 sl=20p tp=40p\n")
    assert answer.status_code == 200, answer.text
    assert answer.json()["results"][0]["ok"] is True
    (position,) = await bot.sim_positions()
    assert position["symbol"] == "EURUSD" and float(position["volume"]) == pytest.approx(0.1)
    shown = hooks.posted_in(bot.private_chat)
    assert "via webhook tv" in shown and "EURUSD" in shown
    rows = await bot.storage.db.fetch_all("SELECT command, ok FROM audit_log")
    assert any("[via webhook tv]" in str(row["command"]) and row["ok"] for row in rows)


async def test_a_json_body_with_several_lines_runs_each_and_its_id_runs_once(hooks: Hooks) -> None:
    bot = hooks.bot
    token = await hooks.new()
    body = json.dumps({"command": "buy OANDA:EURUSD 0.1\nsell GBPUSD 0.2", "id": "sig-1"})
    first = await hooks.post(token, body)
    assert first.status_code == 200, first.text
    assert [r["ok"] for r in first.json()["results"]] == [True, True]
    assert sorted(p["symbol"] for p in await bot.sim_positions()) == ["EURUSD", "GBPUSD"]
    bot.clock.advance(3600)  # an id runs once, however late it comes back
    again = await hooks.post(token, json.dumps({"command": "buy EURUSD 0.1", "id": "sig-1"}))
    assert again.status_code == 409
    assert len(await bot.sim_positions()) == 2


async def test_the_same_body_within_60_s_runs_once_and_again_after(hooks: Hooks) -> None:
    bot = hooks.bot
    token = await hooks.new()
    assert (await hooks.post(token, "buy EURUSD 0.1")).status_code == 200
    assert (await hooks.post(token, "buy EURUSD 0.1")).status_code == 409
    assert len(await bot.sim_positions()) == 1
    bot.clock.advance(61)
    assert (await hooks.post(token, "buy EURUSD 0.1")).status_code == 200
    assert len(await bot.sim_positions()) == 2


async def test_wrong_and_revoked_tokens_are_404_and_trade_nothing(hooks: Hooks, caplog: pytest.LogCaptureFixture
                                                                   ) -> None:
    bot = hooks.bot
    caplog.set_level(logging.DEBUG)
    token = await hooks.new()
    assert (await hooks.post(token[:-2] + "xx", "buy EURUSD 0.1")).status_code == 404
    assert (await hooks.post("", "buy EURUSD 0.1")).status_code in (404, 405)
    revoked = await bot.say("/webhook revoke tv")
    assert "revoked" in reply_text(revoked)
    assert (await hooks.post(token, "buy EURUSD 0.1")).status_code == 404
    assert await bot.sim_positions() == []
    bot_side = [r.getMessage() for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    assert bot_side and all(token not in message for message in bot_side)  # the test's own client logs URLs
    rows = await bot.storage.db.fetch_all("SELECT command, result FROM audit_log")
    assert all(token not in str(row["command"]) + str(row["result"]) for row in rows)


@pytest.mark.parametrize(("body", "reason"), [
    (b"", "no command"),
    (b"{not json", "invalid JSON"),
    (b'{"command": 5}', '"command"'),
    (b'{"command": "buy EURUSD 0.1", "extra": 1}', "unknown JSON field"),
    (b"buy {{ticker}} 0.1", "unfilled placeholder"),
    (b"fly EURUSD 0.1", "unknown command"),
    (b"buy EURUSD 0.1\nbuy EURUSD lots", "VOLUME"),
    (b"link sk_live_abc", "cannot be sent through a webhook"),
    (b"\xff\xfe", "UTF-8"),
])
async def test_a_malformed_body_is_400_with_the_reason_and_nothing_runs(hooks: Hooks, body: bytes, reason: str
                                                                         ) -> None:
    token = await hooks.new()
    answer = await hooks.post(token, body)
    assert answer.status_code == 400, answer.text
    assert reason.lower() in answer.json()["error"].lower()
    assert await hooks.bot.sim_positions() == []
    assert hooks.posted == []


async def test_an_oversized_body_is_413(hooks: Hooks) -> None:
    token = await hooks.new()
    answer = await hooks.post(token, "buy EURUSD 0.1\n" + " " * MAX_BODY)
    assert answer.status_code == 413
    assert await hooks.bot.sim_positions() == []


async def test_a_demoted_admins_endpoint_stops_trading(hooks: Hooks) -> None:
    bot = hooks.bot
    group = await bot.group_chat("desk")
    token = await hooks.new(chat=group)
    await bot.storage.members.set_role(group.id, bot.owner.id, Role.VIEWER, bot.owner.display_name)
    answer = await hooks.post(token, "buy EURUSD 0.1")
    assert answer.status_code == 403 and "viewer" in answer.json()["error"]
    assert await bot.sim_positions() == []


async def test_a_read_only_key_refuses_orders(hooks: Hooks) -> None:
    bot = hooks.bot
    group = await bot.group_chat("watch", scope="read-only")
    token = await hooks.new(chat=group)
    answer = await hooks.post(token, "buy EURUSD 0.1")
    assert answer.status_code == 403 and "read-only" in answer.json()["error"]
    assert await bot.sim_positions() == []
    assert (await hooks.post(token, "price EURUSD")).status_code == 200  # reading is allowed


async def test_in_a_confirming_group_the_card_is_posted_and_confirm_places_the_order(hooks: Hooks) -> None:
    bot = hooks.bot
    group = await bot.group_chat("desk")
    await bot.say("/settings confirm always", chat=group)
    token = await hooks.new(chat=group)
    answer = await hooks.post(token, "buy EURUSD 0.1")
    assert answer.status_code == 200 and answer.json()["results"][0]["pending_confirmation"] is True
    assert await bot.sim_positions() == []
    (card,) = [reply for chat, reply in hooks.posted if chat.id == group.id and reply.buttons]
    result = await bot.press(card, "Confirm", chat=group)
    assert result.reply is not None, result
    assert len(await bot.sim_positions()) == 1


async def test_a_shared_secret_is_required_when_set(hooks: Hooks) -> None:
    bot = hooks.bot
    replies = await bot.say("/webhook new sig secret=on")
    token = token_of(replies)
    secret = reply_text(replies).split("shared secret (put it in the body's \"secret\"): ")[1].split()[0]
    assert (await hooks.post(token, "buy EURUSD 0.1")).status_code == 403
    wrong = json.dumps({"command": "buy EURUSD 0.1", "secret": "nope"})
    assert (await hooks.post(token, wrong)).status_code == 403
    assert await bot.sim_positions() == []
    right = json.dumps({"command": "buy EURUSD 0.1", "secret": secret})
    assert (await hooks.post(token, right)).status_code == 200
    assert len(await bot.sim_positions()) == 1


async def test_a_sender_off_the_allow_list_is_403(hooks: Hooks) -> None:
    token = await hooks.new("tv", extra="ips=52.89.214.238")
    assert (await hooks.post(token, "buy EURUSD 0.1")).status_code == 403
    assert await hooks.bot.sim_positions() == []
    other = await hooks.new("local", extra="ips=127.0.0.1")
    assert (await hooks.post(other, "buy EURUSD 0.1")).status_code == 200


async def test_an_endpoint_over_its_rate_is_429(hooks: Hooks) -> None:
    token = await hooks.new()
    statuses = [(await hooks.post(token, json.dumps({"command": "price EURUSD", "id": f"r{i}"}))).status_code
                for i in range(RATE)]
    assert statuses == [200] * RATE
    assert (await hooks.post(token, "price GBPUSD")).status_code == 429
    hooks.bot.clock.advance(61)
    assert (await hooks.post(token, "price USDJPY")).status_code == 200


async def test_list_and_test_and_access(hooks: Hooks) -> None:
    bot = hooks.bot
    await hooks.new()
    listed = reply_text(await bot.say("/webhook list"))
    assert "tv" in listed and "runs as owner" in listed and PUBLIC not in listed
    tested = reply_text(await bot.say("/webhook test tv"))
    assert "receiving" in tested
    assert "test" in hooks.posted_in(bot.private_chat)
    trader = bot.user("trader")
    group = await bot.group_chat("desk", members={trader: Role.TRADER})
    refused = reply_text(await bot.say("/webhook new x", user=trader, chat=group))
    assert "needs a chat admin" in refused


async def test_old_body_fingerprints_are_purged_but_ids_are_kept(hooks: Hooks) -> None:
    bot = hooks.bot
    token = await hooks.new()
    assert (await hooks.post(token, "price EURUSD")).status_code == 200
    assert (await hooks.post(token, json.dumps({"command": "price EURUSD", "id": "kept"}))).status_code == 200
    bot.clock.advance(8 * 86400)
    service = bot.services.webhooks
    assert service is not None
    assert await service.store.purge_seen() == 1
    assert (await hooks.post(token, json.dumps({"command": "price EURUSD", "id": "kept"}))).status_code == 409


async def test_behind_a_trusted_proxy_its_forwarded_for_names_the_sender(bot: BotHarness) -> None:
    async with open_hooks(bot, trusted_proxies=("127.0.0.1",)) as hooks:
        token = await hooks.new("tv", extra="ips=52.89.214.238")
        url = f"/webhook/{token}"
        forged = {"X-Forwarded-For": "52.89.214.238, 10.9.9.9"}  # the proxy appended the real peer last
        assert (await hooks.client.post(url, content="price EURUSD", headers=forged)).status_code == 403
        real = {"X-Forwarded-For": "10.9.9.9, 52.89.214.238"}
        assert (await hooks.client.post(url, content="price EURUSD", headers=real)).status_code == 200
    async with open_hooks(bot) as untrusting:  # a peer that is not a trusted proxy: its header means nothing
        other = await untrusting.new("direct", extra="ips=52.89.214.238")
        header = {"X-Forwarded-For": "52.89.214.238"}
        assert (await untrusting.client.post(f"/webhook/{other}", content="price EURUSD",
                                             headers=header)).status_code == 403
