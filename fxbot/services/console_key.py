"""Makes sure the console chat's configured FxSocket key is linked to the local user and bound to the chat."""

from __future__ import annotations

import logging
from typing import Protocol, runtime_checkable

from pydantic import SecretStr

from fxbot.domain.access import Scope
from fxbot.domain.key_scopes import capped
from fxbot.storage.store import Storage

log = logging.getLogger(__name__)

CONSOLE_CHAT_ID = "console:local"
CONSOLE_USER_ID = "console:local"


@runtime_checkable
class ConsoleKeySettings(Protocol):
    """The parts of the console adapter's settings this needs."""

    @property
    def api_key(self) -> SecretStr | None: ...

    @property
    def scope(self) -> Scope: ...

    @property
    def key_name(self) -> str: ...


async def ensure_console_key(storage: Storage, settings: ConsoleKeySettings) -> None:
    """Link the configured key for the console user (once) and bind it to the console chat.

    Without a configured key nothing changes: the user can still `/link` one from the console.
    A changed secret or scope under the same name replaces the stored key. A scope above what the key's kind
    allows (`trade` for an `fxs_ro_` key) is stored as that kind's most (read-only), with a warning.
    """
    if settings.api_key is None or not settings.api_key.get_secret_value():
        return
    secret = settings.api_key.get_secret_value()
    scope = capped(secret, settings.scope)
    if scope is not settings.scope:
        log.warning("console.scope is %s but the console key is a %s key: linked as %s",
                    settings.scope.value, scope.value, scope.value)
    stored = await storage.keys.find_by_secret(CONSOLE_USER_ID, secret)
    if stored is None:
        previous = await storage.keys.get_by_name(CONSOLE_USER_ID, settings.key_name)
        if previous is not None:
            await storage.keys.remove(CONSOLE_USER_ID, settings.key_name)
        stored = await storage.keys.add(CONSOLE_USER_ID, settings.key_name, secret, scope)
        log.info("console key %r linked (%s)", stored.name, stored.fingerprint)
    elif stored.scope != scope:
        await storage.keys.set_scope(stored.id, scope)
    binding = await storage.bindings.get(CONSOLE_CHAT_ID)
    if binding is None or binding.key_id != stored.id:
        await storage.bindings.bind(CONSOLE_CHAT_ID, stored.id, bound_by=CONSOLE_USER_ID)
