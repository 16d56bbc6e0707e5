"""FxSocketClient: the typed async FxSocket v1 REST client (implements the Broker protocol)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import quote as url_quote

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from fxbot.fxsocket.errors import InvalidArgumentError, OutcomeUnknownError, UnexpectedResponseError
from fxbot.fxsocket.frames import fast_quote
from fxbot.fxsocket.models import (
    Account,
    AccountSummary,
    CandleSeries,
    CloseResult,
    HistoryPage,
    ModifyResult,
    OrderChanges,
    OrderRequest,
    OrderResult,
    PendingOrder,
    Position,
    Quote,
    Side,
    Timeframe,
)
from fxbot.fxsocket.pacing import RequestPacer
from fxbot.fxsocket.transport import Params, RestTransport

M = TypeVar("M", bound=BaseModel)

_ACCOUNTS = TypeAdapter(list[AccountSummary])
_POSITIONS = TypeAdapter(list[Position])
_ORDERS = TypeAdapter(list[PendingOrder])


def _segment(value: str, what: str) -> str:
    """A path segment from user input: non-empty and fully percent-encoded (no `/`, `..` tricks)."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidArgumentError(f"{what} must be a non-empty string")
    if value.strip() in (".", ".."):
        raise InvalidArgumentError(f"{what} {value.strip()!r} is not valid")
    return url_quote(value.strip(), safe="")


def _iso(value: datetime) -> str:
    """ISO-8601 UTC with `Z`; naive datetimes are taken as UTC."""
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return aware.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class FxSocketClient:
    """Async client of the FxSocket v1 REST API over an injected `httpx.AsyncClient`.

    `base_url` is the API root (`https://api.fxsocket.com`; a trailing `/v1` is accepted). Every
    method takes `account_id` (None: the key's first account). Requests are paced per account by
    `pacer` (a private 60/s pacer when None; share one pacer between clients of the same accounts).
    Writes are never resent after they may have reached the server: see `OutcomeUnknownError`.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        api_key: str,
        base_url: str,
        pacer: RequestPacer | None = None,
        max_rate_limit_retries: int = 5,
        get_retries: int = 3,
        backoff_base_s: float = 0.2,
        timeout_s: float = 10.0,
        max_retry_after_s: float = 30.0,
    ) -> None:
        self._transport = RestTransport(
            http, api_key=api_key, base_url=base_url, pacer=pacer or RequestPacer(),
            max_rate_limit_retries=max_rate_limit_retries, get_retries=get_retries,
            backoff_base_s=backoff_base_s, timeout_s=timeout_s, max_retry_after_s=max_retry_after_s,
        )

    def __repr__(self) -> str:
        return f"FxSocketClient(base_url={self._transport.base_url!r})"

    @property
    def pacer(self) -> RequestPacer:
        return self._transport.pacer

    # --- plumbing

    async def _get(self, path: str, account_id: str | None, params: Params | None = None) -> Any:
        return await self._transport.request("GET", path, account_id=account_id, params=params)

    @staticmethod
    def _read(model: type[M], data: Any, method: str, path: str) -> M:
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            if method == "GET":
                raise UnexpectedResponseError(
                    "unexpected_response", f"{method} {path}: answer does not match the contract "
                    f"({exc.error_count()} problems)") from None
            raise OutcomeUnknownError("the answer could not be read", method=method, path=path) from None

    @staticmethod
    def _read_list(adapter: TypeAdapter[list[Any]], data: Any, path: str) -> Any:
        try:
            return adapter.validate_python(data)
        except ValidationError as exc:
            raise UnexpectedResponseError(
                "unexpected_response", f"GET {path}: answer does not match the contract "
                f"({exc.error_count()} problems)") from None

    # --- accounts

    async def get_account(self, *, account_id: str | None = None) -> Account:
        account = self._read(Account, await self._get("/v1/account", account_id), "GET", "/v1/account")
        if account_id is None and self._transport.default_account_id is None:
            # Requests without account_id count against this account: pace them in its bucket.
            self._transport.default_account_id = account.id
        return account

    async def list_accounts(self, *, account_id: str | None = None) -> list[AccountSummary]:
        result: list[AccountSummary] = self._read_list(
            _ACCOUNTS, await self._get("/v1/accounts", account_id), "/v1/accounts")
        return result

    async def get_positions(self, *, account_id: str | None = None) -> list[Position]:
        result: list[Position] = self._read_list(
            _POSITIONS, await self._get("/v1/positions", account_id), "/v1/positions")
        return result

    async def get_orders(self, *, account_id: str | None = None) -> list[PendingOrder]:
        result: list[PendingOrder] = self._read_list(
            _ORDERS, await self._get("/v1/orders", account_id), "/v1/orders")
        return result

    # --- trading (never retried once possibly sent)

    async def place_order(self, request: OrderRequest, *, account_id: str | None = None) -> OrderResult:
        body = request.to_body()
        data = await self._transport.request("POST", "/v1/orders", account_id=account_id, body=body)
        return self._read(OrderResult, data, "POST", "/v1/orders")

    async def modify_order(
        self, order_id: str, changes: OrderChanges, *, account_id: str | None = None
    ) -> ModifyResult:
        path = f"/v1/orders/{_segment(order_id, 'order_id')}"
        body = changes.to_body()
        if not body:
            raise InvalidArgumentError("nothing to change: give at least one of sl, tp, price")
        data = await self._transport.request("PATCH", path, account_id=account_id, body=body)
        return self._read(ModifyResult, data, "PATCH", path)

    async def close_order(
        self, order_id: str, *, volume: float | None = None, account_id: str | None = None
    ) -> CloseResult:
        path = f"/v1/orders/{_segment(order_id, 'order_id')}"
        params: dict[str, str | int | float] = {}
        if volume is not None:
            if not volume > 0:
                raise InvalidArgumentError("volume to close must be greater than 0")
            params["volume"] = volume
        data = await self._transport.request("DELETE", path, account_id=account_id, params=params)
        return self._read(CloseResult, data, "DELETE", path)

    # --- market data

    async def get_quote(self, symbol: str, *, account_id: str | None = None) -> Quote:
        path = f"/v1/quotes/{_segment(symbol, 'symbol')}"
        data = await self._get(path, account_id)
        quick = fast_quote(data) if type(data) is dict else None  # the stream's fast path: the models' answer
        return quick if quick is not None else self._read(Quote, data, "GET", path)

    async def get_candles(
        self,
        symbol: str,
        *,
        timeframe: Timeframe = Timeframe.H1,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
        account_id: str | None = None,
    ) -> CandleSeries:
        path = f"/v1/candles/{_segment(symbol, 'symbol')}"
        params: dict[str, str | int | float] = {"timeframe": Timeframe(timeframe).value}
        if start is not None:
            params["from"] = _iso(start)
        if end is not None:
            params["to"] = _iso(end)
        if limit is not None:
            params["limit"] = limit
        return self._read(CandleSeries, await self._get(path, account_id, params), "GET", path)

    async def get_history(
        self,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        symbol: str | None = None,
        side: Side | None = None,
        limit: int | None = None,
        offset: int | None = None,
        account_id: str | None = None,
    ) -> HistoryPage:
        params: dict[str, str | int | float] = {}
        if start is not None:
            params["from"] = _iso(start)
        if end is not None:
            params["to"] = _iso(end)
        if symbol is not None:
            params["symbol"] = symbol
        if side is not None:
            params["type"] = Side(side).value
        if limit is not None:
            params["limit"] = limit
        if offset is not None:
            params["offset"] = offset
        data = await self._get("/v1/history", account_id, params)
        return self._read(HistoryPage, data, "GET", "/v1/history")
