"""The simulator's FastAPI app factory: routes, error shape, /v1 gate and tick-loop lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from fxbot.simulator import routes_control, routes_market, routes_trading, stream_route
from fxbot.simulator.gateway import V1Gate
from fxbot.simulator.http_errors import install_error_handlers
from fxbot.simulator.state import SimState


def create_app(state: SimState) -> FastAPI:
    """An ASGI app serving FxSocket v1 (REST + /v1/stream) and the /_sim/ controls for `state`.

    The app's lifespan starts the tick loop and, on shutdown, stops it and closes every stream.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state.start()
        try:
            yield
        finally:
            await state.stop()

    app = FastAPI(
        title="FxSocket simulator",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )
    app.state.sim = state
    install_error_handlers(app)
    app.include_router(routes_trading.router)
    app.include_router(routes_market.router)
    app.include_router(stream_route.router)
    app.include_router(routes_control.router)
    app.add_middleware(V1Gate, state=state)
    return app
