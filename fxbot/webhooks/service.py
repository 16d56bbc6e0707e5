"""What the /webhook command uses: the endpoint store, the public address senders use, and the chat poster."""

from __future__ import annotations

from dataclasses import dataclass

from fxbot.webhooks.runner import Post
from fxbot.webhooks.store import PATH_PREFIX, WebhookStore


@dataclass
class WebhookService:
    """`public_url` None: the receiver is off (endpoints can be listed and revoked, not created)."""

    store: WebhookStore
    public_url: str | None = None
    post: Post | None = None

    @property
    def enabled(self) -> bool:
        return self.public_url is not None

    def url(self, token: str) -> str:
        """The address to give a sender (never logged)."""
        assert self.public_url is not None
        return f"{self.public_url}{PATH_PREFIX}{token}"
