"""Offline Discord for tests: a recorder in place of discord.py's HTTP layers, and interaction injection.

The ONE module touching discord.py internals (pinned: discord.py==2.7.1):
- `client._connection.parsers["INTERACTION_CREATE"]` — the gateway's parser, so an injected interaction
  takes the same path as one read from the gateway (CommandTree, option parsing, Views);
- `discord.webhook.async_.AsyncWebhookAdapter.request` — interaction callbacks and follow-ups go
  through it (patched for the duration of `install()`; `uninstall()` restores it).
The client's `http.request` is replaced on the instance (a public attribute).

Usage:
    wire = DiscordWire.install(client)          # before client.login(...); or hand `wire.attach` to the
                                                # adapter as runtime.extras["discord.transport"]
    wire.inject(wire.slash("buy", {"symbol": "EURUSD", "volume": 2.0}, user=ALICE, channel=DESK))
    callback = await wire.wait_for("POST", "/callback")
    wire.uninstall()
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import discord
from discord.http import Route
from discord.webhook.async_ import AsyncWebhookAdapter

BOT_ID = 900_000_000_000_000_001
APP_ID = 900_000_000_000_000_002
GUILD_ID = 800_000_000_000_000_001
ADMIN_PERMISSIONS = str(discord.Permissions(manage_guild=True).value)
MEMBER_PERMISSIONS = str(discord.Permissions(send_messages=True, use_application_commands=True).value)
EPHEMERAL = 64


@dataclass(frozen=True)
class DiscordPerson:
    id: int
    name: str
    admin: bool = False

    def user_payload(self) -> dict[str, Any]:
        return {"id": str(self.id), "username": self.name, "discriminator": "0", "avatar": None,
                "global_name": self.name}


@dataclass
class WireCall:
    """One recorded request: method, path (after /api/v10 or the webhook base), JSON body, query params."""

    method: str
    path: str
    body: Any
    params: Mapping[str, Any] | None
    at: float = field(default_factory=time.monotonic)
    response: Any = None

    @property
    def flags(self) -> int:
        data = self.body.get("data", self.body) if isinstance(self.body, dict) else {}
        return int((data or {}).get("flags", 0) or 0)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    def text(self) -> str:
        """Content and embed text of a message body (for `in` assertions), markdown escapes removed."""
        data = self.body.get("data", self.body) if isinstance(self.body, dict) else {}
        data = data or {}
        parts = [data.get("content") or ""]
        for embed in data.get("embeds") or []:
            parts.extend([embed.get("title") or "", embed.get("description") or ""])
        return "\n".join(parts).replace("\\", "")

    def buttons(self) -> list[dict[str, Any]]:
        data = self.body.get("data", self.body) if isinstance(self.body, dict) else {}
        rows = (data or {}).get("components") or []
        return [c for row in rows for c in row.get("components", [])]


class DiscordWire:
    """Records every REST/webhook call the client makes and answers like Discord would (minimal fields)."""

    def __init__(self, client: discord.Client | None = None) -> None:
        self.client = client
        self.calls: list[WireCall] = []
        self.failures: dict[tuple[str, str], int] = {}  # (method, path prefix) -> HTTP status to answer
        self._ids = itertools.count(1_000_000_000_000_000_000)
        self._original_webhook_request: Callable[..., Any] | None = None
        self._changed = asyncio.Event()

    # --- installation --------------------------------------------------------------------------------

    @classmethod
    def install(cls, client: discord.Client) -> DiscordWire:
        wire = cls()
        wire.attach(client)
        return wire

    def attach(self, client: discord.Client) -> None:
        """Record in place of `client`'s HTTP layers (fit to be the adapter's "discord.transport")."""
        self.client = client
        client.http.request = self._http_request  # type: ignore[method-assign]
        if self._original_webhook_request is None:
            self._original_webhook_request = AsyncWebhookAdapter.request
        recorder = self

        async def webhook_request(self: AsyncWebhookAdapter, route: Route, session: Any, **kwargs: Any) -> Any:
            return await recorder._record(route, kwargs.get("payload"), kwargs.get("multipart"),
                                          kwargs.get("params"))

        AsyncWebhookAdapter.request = webhook_request  # type: ignore[method-assign]

    def uninstall(self) -> None:
        if self._original_webhook_request is not None:
            AsyncWebhookAdapter.request = self._original_webhook_request  # type: ignore[method-assign]
            self._original_webhook_request = None

    def inject(self, payload: dict[str, Any]) -> None:
        """Hand an INTERACTION_CREATE payload to the gateway's parser (as if it came over the socket)."""
        assert self.client is not None, "inject needs an installed client"
        self.client._connection.parsers["INTERACTION_CREATE"](payload)

    # --- recording -----------------------------------------------------------------------------------

    async def _http_request(self, route: Route, *, files: Any = None, form: Any = None, **kwargs: Any) -> Any:
        return await self._record(route, kwargs.get("json"), form, kwargs.get("params"))

    async def _record(self, route: Route, payload: Any, multipart: Any, params: Any) -> Any:
        body = payload
        if body is None and multipart:
            for part in multipart:
                if part.get("name") == "payload_json":
                    body = json.loads(part["value"])
        return await self.record(route.method, route.url.split("/api/v10", 1)[-1], body, params)

    async def record(self, method: str, path: str, body: Any, params: Any = None) -> Any:
        """Record one request (path after /api/v10) and answer it; raises discord's HTTP errors for
        the statuses set in `failures`."""
        call = WireCall(method, path, body, params)
        self.calls.append(call)
        self._changed.set()
        await asyncio.sleep(0)
        for (failing, prefix), status in self.failures.items():
            if failing == method and path.startswith(prefix):
                raise _http_error(status)
        call.response = self._answer(call)
        return call.response

    def _answer(self, call: WireCall) -> Any:
        method, path, body = call.method, call.path, call.body or {}
        if path == "/users/@me":
            return DiscordPerson(BOT_ID, "fxbot").user_payload() | {"bot": True}
        if path == "/oauth2/applications/@me":
            return {"id": str(APP_ID), "name": "fxbot", "description": "", "icon": None, "bot_public": True,
                    "bot_require_code_grant": False, "verify_key": "0" * 64, "flags": 0,
                    "owner": DiscordPerson(1, "owner").user_payload()}
        if path.endswith("/commands") and method == "PUT":
            return [dict(c, id=str(next(self._ids)), application_id=str(APP_ID), version="1") for c in body]
        if path == "/users/@me/channels":
            return {"id": str(next(self._ids)), "type": 1,
                    "recipients": [DiscordPerson(int(body["recipient_id"]), "someone").user_payload()]}
        if path.endswith("/callback"):
            return {"interaction": {"id": path.split("/")[2], "type": 2,
                                    "response_message_loading": body.get("type") == 5,
                                    "response_message_ephemeral": bool(call.flags & EPHEMERAL)}}
        if method == "DELETE":
            return None
        if method in ("POST", "PATCH") and ("/messages" in path or path.startswith("/webhooks/")):
            channel_id = path.split("/")[2] if path.startswith("/channels/") else "1"
            message_id = path.rsplit("/", 1)[-1] if method == "PATCH" else str(next(self._ids))
            if not message_id.isdigit():
                message_id = str(next(self._ids))
            return message_payload(message_id, channel_id, body)
        return {}

    # --- waiting and finding ---------------------------------------------------------------------------

    def find(self, method: str, fragment: str, *, after: int = 0) -> list[WireCall]:
        return [c for c in self.calls[after:] if c.method == method and fragment in c.path]

    async def wait_for(self, method: str, fragment: str, *, count: int = 1, after: int = 0,
                       timeout: float = 30.0) -> WireCall:  # noqa: ASYNC109 - a deadline, polled
        """The `count`-th matching call (waiting for it), counting from index `after`."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.find(method, fragment, after=after)
            if len(found) >= count:
                return found[count - 1]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                seen = [(c.method, c.path) for c in self.calls[after:]]
                raise AssertionError(f"no {method} …{fragment}… (#{count}) within {timeout}s; calls: {seen}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout=min(remaining, 0.2))

    # --- payloads ----------------------------------------------------------------------------------

    def _base(self, user: DiscordPerson, channel_id: int | None, guild: bool, kind: int) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "id": str(next(self._ids)), "application_id": str(APP_ID), "type": kind, "token": f"tok{next(self._ids)}",
            "version": 1, "attachment_size_limit": 8_000_000, "locale": "en-US", "app_permissions": "0",
        }
        if guild:
            payload["guild_id"] = str(GUILD_ID)
            payload["channel"] = {"id": str(channel_id), "type": 0, "name": "desk", "guild_id": str(GUILD_ID),
                                  "position": 0, "permission_overwrites": [], "nsfw": False, "parent_id": None}
            payload["channel_id"] = str(channel_id)
            payload["member"] = {"user": user.user_payload(), "roles": [], "flags": 0,
                                 "joined_at": "2025-01-01T00:00:00+00:00", "deaf": False, "mute": False,
                                 "permissions": ADMIN_PERMISSIONS if user.admin else MEMBER_PERMISSIONS}
            payload["context"] = 0
        else:
            dm_id = channel_id or user.id + 1
            payload["channel"] = {"id": str(dm_id), "type": 1, "recipients": [user.user_payload()]}
            payload["channel_id"] = str(dm_id)
            payload["user"] = user.user_payload()
            payload["context"] = 1
        return payload

    def slash(self, name: str, options: Mapping[str, Any], *, user: DiscordPerson, channel_id: int | None = None,
              guild: bool = True, focused: str | None = None, option_types: Mapping[str, int] | None = None,
              resolved: dict[str, Any] | None = None) -> dict[str, Any]:
        """An application command (or, with `focused`, an autocomplete) interaction payload."""
        types = dict(option_types or {})
        opts = []
        for key, value in options.items():
            kind = types.get(key) or (10 if isinstance(value, float) else 4 if isinstance(value, int) else 3)
            option = {"name": key, "type": kind, "value": value}
            if key == focused:
                option["focused"] = True
            opts.append(option)
        payload = self._base(user, channel_id, guild, 4 if focused else 2)
        payload["data"] = {"id": str(next(self._ids)), "name": name, "type": 1, "options": opts}
        if guild:
            payload["data"]["guild_id"] = str(GUILD_ID)
        if resolved:
            payload["data"]["resolved"] = resolved
        return payload

    def press(self, custom_id: str, *, message: WireCall, user: DiscordPerson, channel_id: int | None = None,
              guild: bool = True) -> dict[str, Any]:
        """A button press on the message a recorded call created/edited."""
        payload = self._base(user, channel_id, guild, 3)
        payload["data"] = {"custom_id": custom_id, "component_type": 2}
        payload["message"] = dict(message.response)
        return payload


def message_payload(message_id: str, channel_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": message_id if message_id.isdigit() else "1", "channel_id": channel_id, "type": 0,
        "content": body.get("content") or "", "embeds": body.get("embeds") or [],
        "components": body.get("components") or [], "attachments": [], "mentions": [], "mention_roles": [],
        "author": DiscordPerson(BOT_ID, "fxbot").user_payload() | {"bot": True}, "pinned": False, "tts": False,
        "mention_everyone": False, "timestamp": "2026-01-01T00:00:00+00:00", "edited_timestamp": None,
        "flags": body.get("flags", 0) or 0,
    }


class _FakeResponse:
    def __init__(self, status: int) -> None:
        self.status = status
        self.reason = "Forbidden" if status == 403 else "Not Found" if status == 404 else "Error"
        self.headers: dict[str, str] = {}


def _http_error(status: int) -> discord.HTTPException:
    response: Any = _FakeResponse(status)
    body = {"message": response.reason, "code": 50001 if status == 403 else 10003}
    if status == 403:
        return discord.Forbidden(response, body)
    if status == 404:
        return discord.NotFound(response, body)
    return discord.HTTPException(response, body)
