"""Run the simulator in-process: uvicorn in a task on the current loop plus a handle to stop it."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator
from types import TracebackType

import uvicorn

from fxbot.simulator.config import SimConfig
from fxbot.simulator.sdk_face import SdkFace
from fxbot.simulator.server import create_app
from fxbot.simulator.state import SimState


class _EmbeddedServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to its host (the CLI or the bot's own loop)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.exit_requested = asyncio.Event()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def main_loop(self) -> None:
        # uvicorn polls should_exit every 0.1 s; waking on an event makes stop() (and every test) faster.
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864_000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.exit_requested.wait(), 0.1)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # uvicorn's shutdown minus its fixed 0.1 s pause: close listeners, ask connections to finish,
        # wait (bounded) for them, then run the app's lifespan shutdown (tick loop, streams).
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        await asyncio.sleep(0.01)
        try:
            await asyncio.wait_for(self._wait_tasks_to_complete(), self.config.timeout_graceful_shutdown)
        except TimeoutError:
            for task in self.server_state.tasks:
                task.cancel()
        if not self.force_exit:
            await self.lifespan.shutdown()


def _bind(host: str, port: int) -> socket.socket:
    """A listening-ready TCP socket on host:port (port 0 picks a free one); OSError with a clear message."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise OSError(f"cannot resolve host {host!r}: {exc}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise OSError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.setblocking(False)
    return sock


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


class RunningSimulator:
    """A simulator listening on a loopback port; `async with` or `await stop()` ends it."""

    def __init__(
        self, state: SimState, server: _EmbeddedServer, task: asyncio.Task[None], host: str, port: int,
        sdk: SdkFace | None = None,
    ) -> None:
        self.state = state
        self._sdk = sdk
        self.host = host
        self.port = port
        self.base_url = f"http://{_url_host(host)}:{port}"
        self.stream_url = f"ws://{_url_host(host)}:{port}/v1/stream"
        self.sdk_url = f"{self.base_url}/sdk/v1"
        self._server = server
        self._task = task

    @property
    def keys(self) -> dict[str, str]:
        """scope -> a live /v1 key of that scope (the first one when several share a scope)."""
        return self.state.keys.first_by_scope()

    @property
    def sdk_keys(self) -> dict[str, str]:
        """Scope (full, read-only) -> a live SDK key (`fxs_live_…`, `fxs_ro_…`) for the face at `sdk_url`."""
        return self.state.keys.first_by_scope(sdk=True)

    def terminal_url(self, account_id: str) -> str:
        """The SDK terminal REST base of an account (its WebSocket is this + "/ws", with ws://)."""
        return f"{self.base_url}/sdk/t/{account_id}"

    def sdk_ticket(self, order_id: str) -> int:
        """The SDK face's ticket of an engine order id (`ord_…`; a position's ticket is its opening order's)."""
        if self._sdk is None:
            raise RuntimeError("this simulator was started without its SDK face")
        return self._sdk.book.tickets.order(order_id)

    def __repr__(self) -> str:
        return f"RunningSimulator(base_url={self.base_url!r}, seed={self.state.seed})"

    async def stop(self) -> None:
        """Close streams, stop the tick loop and the server; safe to call twice."""
        if self._task.done():
            return
        self.state.hub.close_all(reason="the simulator is stopping")
        self._server.should_exit = True
        self._server.exit_requested.set()
        try:
            await self._task
        except asyncio.CancelledError:
            if not self._task.cancelled():
                raise

    async def __aenter__(self) -> RunningSimulator:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()


async def start_simulator(config: SimConfig) -> RunningSimulator:
    """Start the simulator on the running loop; returns once it accepts connections."""
    state = SimState(config)
    sock = _bind(config.host, config.port)
    port = int(sock.getsockname()[1])
    app = create_app(state)
    uvicorn_config = uvicorn.Config(
        app,
        host=config.host,
        port=port,
        log_config=None,
        log_level=config.log_level,
        access_log=config.access_log,
        lifespan="on",
        ws_ping_interval=config.ping_interval_s,
        ws_ping_timeout=max(config.ping_interval_s, 20.0),
        timeout_graceful_shutdown=2,
        server_header=False,
    )
    server = _EmbeddedServer(uvicorn_config)
    task = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]), name="fxbot-simulator")
    while not server.started:
        if task.done():
            sock.close()
            error = task.exception() if not task.cancelled() else None
            raise RuntimeError(f"the simulator did not start: {error!r}")
        await asyncio.sleep(0.005)
    return RunningSimulator(state, server, task, config.host, port, sdk=app.state.sdk)
