"""The simulator's FastAPI app factory: both faces' routes, error shapes, gates and the tick-loop lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from fxbot.simulator import (
    routes_control,
    routes_market,
    routes_trading,
    sdk_control,
    sdk_management,
    sdk_stream,
    sdk_terminal,
    sdk_terminal_health,
    sdk_terminal_market,
    stream_route,
)
from fxbot.simulator.gateway import V1Gate
from fxbot.simulator.http_errors import install_error_handlers
from fxbot.simulator.sdk_errors import install_sdk_error_handler
from fxbot.simulator.sdk_face import SdkFace
from fxbot.simulator.sdk_gate import SdkGate
from fxbot.simulator.state import SimState


def create_app(state: SimState) -> FastAPI:
    """An ASGI app serving FxSocket v1 (REST + /v1/stream), the official SDK's protocol under /sdk/
    (management /sdk/v1, terminals /sdk/t/{account}) and the /_sim/ controls, all over `state`.

    The app's lifespan starts the tick loop and the SDK heartbeat and, on shutdown, stops them and
    closes every stream of both faces.
    """
    face = SdkFace(state, state.config)
    state.hub.listeners.append(face)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state.start()
        face.streams.start()
        try:
            yield
        finally:
            await face.streams.stop()
            await state.stop()

    app = FastAPI(
        title="FxSocket simulator",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )
    app.state.sim = state
    app.state.sdk = face
    install_error_handlers(app)
    install_sdk_error_handler(app, face.command_ids)
    app.include_router(routes_trading.router)
    app.include_router(routes_market.router)
    app.include_router(stream_route.router)
    app.include_router(routes_control.router)
    app.include_router(sdk_management.router)
    app.include_router(sdk_terminal.router)
    app.include_router(sdk_terminal_market.router)
    app.include_router(sdk_terminal_health.router)
    app.include_router(sdk_stream.router)
    app.include_router(sdk_control.router)
    app.add_middleware(V1Gate, state=state)
    app.add_middleware(SdkGate, state=state, face=face)
    return app
