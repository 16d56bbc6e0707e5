"""What `fxbot check-config` shows of the settings: where each kind of key goes, and every secret hidden."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretStr

from fxbot.config import Settings
from fxbot.domain.access import Scope
from fxbot.domain.key_scopes import key_scopes


def key_routes(settings: Settings) -> list[str]:
    """Where each kind of FxSocket key goes with these settings (for `check-config`), and what the console's
    configured key is — by its prefix only, never the key."""
    fx = settings.fxsocket
    lines = [
        f"sk_… keys (the /v1 API): REST at {fx.base_url}, stream at {fx.stream_url}",
        f"fxs_live_… (full) and fxs_ro_… (read-only) keys (the terminal API, as the official fxsocket SDK "
        f"speaks it): management at {fx.management_url}, which names each account's terminal REST and stream",
    ]
    console = settings.adapters.get("console")
    secret = console.get("api_key") if console is not None and console.get("enabled", True) else None
    if isinstance(secret, str) and secret.strip():
        scopes = key_scopes(secret)
        if scopes.prefix is None:
            lines.append("console.api_key: not an FxSocket key prefix (sk_…, fxs_live_…, fxs_ro_…) — FxSocket "
                         "will refuse it")
        else:
            where = "the /v1 API" if scopes.prefix.startswith("sk_") else "the terminal API"
            lines.append(f"console.api_key: an {scopes.prefix}… key, for {where}")
            declared = str(console.get("scope", Scope.TRADE.value)) if console is not None else Scope.TRADE.value
            if declared in {s.value for s in Scope} and not scopes.allows(Scope(declared)):
                lines.append(f"console.scope: {declared} is more than an {scopes.prefix}… key can do — it is "
                             f"linked as {scopes.ceiling.value}")
    return lines


def redacted(value: Any) -> Any:
    """A JSON-able copy of settings data with every secret replaced by '***'."""
    if isinstance(value, SecretStr):
        return "***" if value.get_secret_value() else ""
    if isinstance(value, BaseModel):
        return {name: redacted(getattr(value, name)) for name in type(value).model_fields}
    if isinstance(value, Mapping):
        return {
            str(k): ("***" if _looks_secret(str(k)) and v else redacted(v)) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redacted(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def _looks_secret(key: str) -> bool:
    lowered = key.lower()
    return any(word in lowered for word in ("token", "secret", "password", "api_key", "apikey"))
