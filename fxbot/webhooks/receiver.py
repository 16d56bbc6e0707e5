"""The webhook HTTP routes: POST /webhook/{token} checked (size, token, sender, rate, body, secret, access,
replay) before its commands run; the token never reaches a log."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from fxbot.webhooks.body import MalformedBody, parse_body
from fxbot.webhooks.rate import RateLimiter
from fxbot.webhooks.runner import Refused, WebhookRunner
from fxbot.webhooks.store import BODY_REPLAY_WINDOW, PATH_PREFIX, WebhookStore

log = logging.getLogger(__name__)



@dataclass(frozen=True, slots=True)
class ReceiverLimits:
    """Per request: at most `max_body` bytes; per endpoint: at most `rate_limit` requests per `rate_window_s`."""

    max_body: int = 16_384
    rate_limit: int = 30
    rate_window_s: float = 60.0
    trusted_proxies: frozenset[str] = frozenset()


def sender_address(request: Request, trusted: frozenset[str]) -> str:
    """The sender's IP: the peer, or — when the peer is a trusted proxy — the nearest X-Forwarded-For hop that is
    not one (a sender cannot forge what a trusted proxy appends)."""
    peer = request.client.host if request.client is not None else "?"
    if peer not in trusted:
        return peer
    hops = [hop.strip() for hop in ",".join(request.headers.getlist("x-forwarded-for")).split(",") if hop.strip()]
    for hop in reversed(hops):
        if hop not in trusted:
            return hop
    return peer


def _answer(status: int, **body: object) -> JSONResponse:
    return JSONResponse(body, status_code=status)


async def _read_limited(request: Request, limit: int) -> bytes | None:
    """The body, or None when it is over `limit` bytes (the declared length or what actually arrives)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def create_webhook_app(store: WebhookStore, runner: WebhookRunner, limiter: RateLimiter,
                       limits: ReceiverLimits) -> FastAPI:
    """One route; nothing else is exposed (no docs, no schema)."""
    app = FastAPI(title="fxbot webhooks", docs_url=None, redoc_url=None, openapi_url=None)

    @app.post(PATH_PREFIX + "{token}")
    async def receive(token: str, request: Request) -> JSONResponse:
        peer = sender_address(request, limits.trusted_proxies)
        raw = await _read_limited(request, limits.max_body)
        if raw is None:
            log.warning("webhook: a body over %d bytes from %s refused", limits.max_body, peer)
            return _answer(413, error=f"the body is over {limits.max_body} bytes")
        endpoint = await store.by_token(token)
        if endpoint is None:
            log.info("webhook: a request with an unknown or revoked token from %s", peer)
            return _answer(404, error="not found")
        if endpoint.allow_ips and peer not in endpoint.allow_ips:
            log.warning("webhook %s: sender %s is not on its allow-list", endpoint.name, peer)
            return _answer(403, error="this sender is not allowed")
        if not limiter.admit(endpoint.id):
            return _answer(429, error="too many requests for this endpoint; try again later")
        try:
            body = parse_body(raw)
        except MalformedBody as error:
            return _answer(400, error=str(error))
        if not endpoint.secret_matches(body.secret):
            log.warning("webhook %s: wrong or missing shared secret from %s", endpoint.name, peer)
            return _answer(403, error="wrong or missing secret")
        try:
            await runner.check(endpoint, body.commands)
        except Refused as refusal:
            log.info("webhook %s: refused (%d) %s", endpoint.name, refusal.status, refusal.reason)
            return _answer(refusal.status, error=refusal.reason)
        if body.request_id is not None:
            fresh = await store.first_time(endpoint.id, "id:" + body.request_id)
        else:
            digest = hashlib.sha256(raw).hexdigest()
            fresh = await store.first_time(endpoint.id, "body:" + digest, window=BODY_REPLAY_WINDOW)
        if not fresh:
            log.info("webhook %s: a replayed request was ignored", endpoint.name)
            return _answer(409, error="already received: this request was run once and is not run again")
        outcomes = await runner.run(endpoint, body.commands)
        log.info("webhook %s: %d command(s) run", endpoint.name, len(outcomes))
        return _answer(200, results=[outcome.as_json() for outcome in outcomes])

    return app
