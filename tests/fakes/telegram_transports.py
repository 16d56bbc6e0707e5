"""Transports for the fake Bot API: an in-process PTB BaseRequest, and a loopback HTTP server (stdlib forms)."""

from __future__ import annotations

import asyncio
import contextlib
import email.parser
import email.policy
import json
import urllib.parse
from collections.abc import AsyncIterator, Iterator
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from telegram.request import BaseRequest, RequestData

from tests.fakes.telegram_api import FakeBotApi


class FakeBotRequest(BaseRequest):
    """PTB's transport replaced by direct calls into a FakeBotApi (no sockets)."""

    def __init__(self, api: FakeBotApi) -> None:
        self.api = api

    @property
    def read_timeout(self) -> float | None:
        return 5.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: Any = BaseRequest.DEFAULT_NONE, write_timeout: Any = BaseRequest.DEFAULT_NONE,
                         connect_timeout: Any = BaseRequest.DEFAULT_NONE,
                         pool_timeout: Any = BaseRequest.DEFAULT_NONE) -> tuple[int, bytes]:
        api_method = url.rsplit("/", 1)[-1]
        params = dict(request_data.json_parameters) if request_data else {}
        files: dict[str, tuple[str, bytes]] = {}
        if request_data is not None and request_data.contains_files:
            for name, value in request_data.multipart_data.items():
                filename, content = value[0], value[1]
                data = content if isinstance(content, bytes) else content.read()
                files[name] = (filename or name, data)
        status, body = await self.api.handle(api_method, params, files)
        return status, json.dumps(body).encode()


def parse_form(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, tuple[str, bytes]]]:
    """Form fields and uploaded files of a urlencoded or multipart body (stdlib only)."""
    params: dict[str, str] = {}
    files: dict[str, tuple[str, bytes]] = {}
    if content_type.startswith("multipart/form-data"):
        head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            raw = part.get_payload(decode=True)
            payload = raw if isinstance(raw, bytes) else b""
            filename = part.get_filename()
            if not isinstance(name, str):
                continue
            if filename is not None:
                files[name] = (filename, payload)
            else:
                params[name] = payload.decode()
    elif body:
        params = dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))
    return params, files


class _QuietServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def serve_bot_api(api: FakeBotApi) -> AsyncIterator[str]:
    """Serve `api` on 127.0.0.1 (a free port); yields the base URL to give PTB / telegram.base_url."""

    async def endpoint(request: Request) -> Response:
        method = request.path_params["method"]
        params, files = parse_form(request.headers.get("content-type", ""), await request.body())
        status, body = await api.handle(method, params, files)
        return JSONResponse(body, status_code=status)

    app = Starlette(routes=[Route("/bot{token}/{method}", endpoint, methods=["POST", "GET"])])
    server = _QuietServer(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/bot"
    finally:
        server.should_exit = True
        server.force_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task
