"""Bot API calls as the fake Telegram API records them, and the error answers a test can arm for them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]
BOT_ID = 777000111


@dataclass(frozen=True)
class ApiError:
    """An error answer: HTTP status, description and Bot API `parameters`."""

    status: int
    description: str
    parameters: JSON | None = None


def retry_after(seconds: int) -> ApiError:
    return ApiError(429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds})


def forbidden(description: str = "Forbidden: bot was blocked by the user") -> ApiError:
    return ApiError(403, description)


def migrated(new_chat_id: int) -> ApiError:
    return ApiError(400, "Bad Request: group chat was upgraded to a supergroup chat",
                    {"migrate_to_chat_id": new_chat_id})


def bad_request(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


@dataclass
class Call:
    """One Bot API call as received: form-encoded parameters (JSON strings for objects) and files."""

    method: str
    params: dict[str, str]
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    status: int = 200

    def json(self, name: str) -> Any:
        raw = self.params.get(name)
        return None if raw is None else json.loads(raw)

    @property
    def chat_id(self) -> int | None:
        raw = self.params.get("chat_id")
        return None if raw is None else int(raw)

    @property
    def text(self) -> str:
        return self.params.get("text") or self.params.get("caption") or ""

    @property
    def thread_id(self) -> int | None:
        raw = self.params.get("message_thread_id")
        return None if raw is None else int(raw)

    def buttons(self) -> list[JSON]:
        markup = self.json("reply_markup") or {}
        return [b for row in markup.get("inline_keyboard", []) for b in row]


@dataclass
class ArmedFailure:
    """An error armed with FakeBotApi.fail(): the next `times` calls of `method` (to `chat_id`, if given) answer it."""

    method: str
    error: ApiError
    chat_id: int | None
    times: int
