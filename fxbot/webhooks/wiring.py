"""Wires the webhook parts into an assembled app: the store and service every /webhook command uses, and the
receiver with its server when `webhooks.enabled`."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from datetime import datetime
from typing import TYPE_CHECKING

from fxbot.chat.adapter import CommandHandlerPort
from fxbot.chat.context import ChatContextResolver
from fxbot.config import WebhookSettings
from fxbot.storage.database import Database
from fxbot.webhooks.rate import RateLimiter
from fxbot.webhooks.runner import Post, WebhookRunner
from fxbot.webhooks.service import WebhookService
from fxbot.webhooks.store import WebhookStore

if TYPE_CHECKING:
    from fxbot.webhooks.server import WebhookServer


def build_webhooks(settings: WebhookSettings, *, db: Database, handler: CommandHandlerPort,
                   resolver: ChatContextResolver, post: Post, known_symbols: Collection[str],
                   clock: Callable[[], datetime],
                   monotonic: Callable[[], float] = time.monotonic) -> tuple[WebhookService, WebhookServer | None]:
    """The service (always: endpoints can be listed and revoked with the receiver off) and the server (None
    unless enabled)."""
    store = WebhookStore(db, clock)
    if not settings.enabled:
        return WebhookService(store=store, public_url=None, post=post), None
    from fxbot.webhooks.receiver import ReceiverLimits, create_webhook_app  # FastAPI: only when enabled
    from fxbot.webhooks.server import WebhookServer

    runner = WebhookRunner(handler=handler, resolver=resolver, post=post, known_symbols=known_symbols, clock=clock)
    limits = ReceiverLimits(max_body=settings.max_body_bytes, rate_limit=settings.rate_limit_per_minute,
                            trusted_proxies=frozenset(settings.trusted_proxies))
    limiter = RateLimiter(limits.rate_limit, limits.rate_window_s, monotonic)
    app = create_webhook_app(store, runner, limiter, limits)
    server = WebhookServer(app, host=settings.host, port=settings.port)
    return WebhookService(store=store, public_url=settings.public_url, post=post), server
