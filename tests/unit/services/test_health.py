"""HealthService: uptime from the injected clock, FxSocket checks, and the optional stream provider."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from fxbot.backends.v1 import V1Backend
from fxbot.domain.access import Scope
from fxbot.domain.broker import KeyRefusedError, UnreachableError
from fxbot.services.health import HealthService, StreamHealth
from fxbot.storage import Storage
from tests.unit.services.fake_chat_broker import NOW, FakeBrokers, ScriptedBroker


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self):  # type: ignore[no-untyped-def]
        return self.now


class BrokenProvider:
    def stream_health(self) -> StreamHealth:
        raise RuntimeError("boom")


@pytest.fixture
async def storage(storage: Storage) -> Storage:
    """The shared empty Storage with chat "bound" bound to a trade key."""
    key = await storage.keys.add("u", "main", "sk_test_aaaaaaaaaaaaaaaaaaaaaaaa", Scope.TRADE)
    await storage.bindings.bind("bound", key.id, bound_by="u")
    return storage


def health(storage: Storage, broker: ScriptedBroker, clock: Clock,
           http: httpx.AsyncClient | None = None) -> HealthService:
    """The service; with `http`, chats with no key are probed as the app does (the `/v1` backend's probe)."""
    probe = None
    if http is not None:
        probe = V1Backend(http=http, base_url="http://127.0.0.1:9", stream_url="ws://127.0.0.1:9/v1/stream").probe
    return HealthService(storage=storage, brokers=FakeBrokers(broker), clock=clock, probe=probe)  # type: ignore[arg-type]


async def test_uptime_and_no_stream_pump(storage: Storage) -> None:
    clock = Clock()
    service = health(storage, ScriptedBroker(), clock)
    clock.now = NOW + timedelta(hours=2, minutes=5)
    report = await service.report("bound")
    assert report.uptime == timedelta(hours=2, minutes=5) and report.started_at == NOW
    assert report.stream is None and report.database_ok
    assert report.fxsocket.reachable and report.fxsocket.latency_ms is not None
    assert "'main' accepted" in report.fxsocket.detail


async def test_stream_provider_is_used_and_a_broken_one_is_contained(storage: Storage) -> None:
    service = health(storage, ScriptedBroker(), Clock())
    service.set_stream_status_provider(type("P", (), {"stream_health": lambda self: StreamHealth(True, NOW)})())
    assert (await service.report("bound")).stream == StreamHealth(True, NOW)
    service.set_stream_status_provider(BrokenProvider())
    stream = (await service.report("bound")).stream
    assert stream is not None and not stream.connected
    service.set_stream_status_provider(None)
    assert (await service.report("bound")).stream is None


async def test_a_refused_key_is_reachable_but_reported(storage: Storage) -> None:
    broker = ScriptedBroker(fail=KeyRefusedError("no", status=401))
    report = await health(storage, broker, Clock()).report("bound")
    assert report.fxsocket.reachable and "refused" in report.fxsocket.detail


async def test_unreachable_fxsocket(storage: Storage) -> None:
    broker = ScriptedBroker(fail=UnreachableError("down", write=False))
    report = await health(storage, broker, Clock()).report("bound")
    assert not report.fxsocket.reachable and report.fxsocket.latency_ms is None


async def test_an_unbound_chat_probes_without_a_key(storage: Storage) -> None:
    async with httpx.AsyncClient() as http:  # the provider's shared client; port 9: nothing listens
        report = await health(storage, ScriptedBroker(), Clock(), http).report("unbound")
    assert not report.fxsocket.reachable


async def test_the_keyless_probe_uses_the_shared_client_and_any_answer_means_reachable(storage: Storage) -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        assert "authorization" not in request.headers
        return httpx.Response(401, json={"error": "unauthorized", "message": "no key"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        report = await health(storage, ScriptedBroker(), Clock(), http).report("unbound")
    assert seen == ["http://127.0.0.1:9/v1/accounts"]
    assert report.fxsocket.reachable and report.fxsocket.latency_ms is not None
    assert report.fxsocket.detail == "reachable (this chat has no key to check)"


async def test_without_a_probe_an_unbound_chat_is_not_checked(storage: Storage) -> None:
    report = await health(storage, ScriptedBroker(), Clock()).report("unbound")
    assert not report.fxsocket.reachable and report.fxsocket.detail == "not checked (this chat has no key to check)"
