"""Bounded label values for the metrics: FxSocket endpoint templates, methods, statuses, and closed sets."""

from __future__ import annotations

import re
from collections.abc import Iterable
from http import HTTPStatus

OTHER = "other"

#: Every FxSocket `/v1` request path the bot sends, as the template it is counted under.
_ENDPOINTS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), template)
    for pattern, template in (
        (r"/v1/account", "/v1/account"),
        (r"/v1/accounts", "/v1/accounts"),
        (r"/v1/positions", "/v1/positions"),
        (r"/v1/orders", "/v1/orders"),
        (r"/v1/orders/close", "/v1/orders/close"),  # the SDK's batch close, before the {id} template
        (r"/v1/orders/[^/]+", "/v1/orders/{id}"),
        (r"/v1/quotes/[^/]+", "/v1/quotes/{symbol}"),
        (r"/v1/candles/[^/]+", "/v1/candles/{symbol}"),
        (r"/v1/history", "/v1/history"),
        # the SDK backend's management API (its base URL ends in /v1 as well)
        (r"/v1/accounts/[^/]+", "/v1/accounts/{id}"),
        (r"/v1/readonly-keys(?:/[^/]+)?", "/v1/readonly-keys"),
        (r"/v1/wallet", "/v1/wallet"),
    )
)
#: The terminal REST calls of the SDK backend, on an account's own `rest_url` (whose path holds the account
#: id): counted by the call's name alone, as "{terminal}/OpenedOrders".
TERMINAL_CALLS: frozenset[str] = frozenset({
    "AccountInfo", "AccountSummary", "OpenedOrders", "OrderHistory", "PositionHistory", "PriceHistory",
    "ServerTimezone", "SymbolInfo", "symbols", "getQuote", "status", "OrderCalcMargin", "OrderCalcProfit",
    "OrderSend", "OrderModify", "OrderClose", "CloseAll",
})
ENDPOINT_TEMPLATES: frozenset[str] = frozenset(
    {template for _, template in _ENDPOINTS} | {f"{{terminal}}/{name}" for name in TERMINAL_CALLS} | {OTHER})
METHODS: frozenset[str] = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
_STATUSES: frozenset[int] = frozenset(int(s) for s in HTTPStatus)


def endpoint_template(path: str) -> str:
    """The template a request path is counted under (ids and symbols never become labels); unknown: "other"."""
    clean = "/" + path.strip("/")
    start = clean.find("/v1/")  # a base URL behind a path prefix (a proxy) still counts by its /v1 path
    clean = clean[start:] if start > 0 else clean
    for pattern, template in _ENDPOINTS:
        if pattern.fullmatch(clean):
            return template
    call = path.rstrip("/").rpartition("/")[2]
    return f"{{terminal}}/{call}" if call in TERMINAL_CALLS else OTHER


def method_label(method: str) -> str:
    upper = method.upper()
    return upper if upper in METHODS else OTHER


def status_label(status: int) -> str:
    """A registered HTTP status code as text, else its class ("5xx"): at most the registered codes."""
    return str(status) if status in _STATUSES else f"{status // 100}xx"


class ClosedSet:
    """A fixed set of allowed label values; anything else is counted as "other"."""

    def __init__(self, values: Iterable[str]) -> None:
        self.values: frozenset[str] = frozenset(values)

    def __call__(self, value: str | None) -> str:
        return value if value is not None and value in self.values else OTHER
