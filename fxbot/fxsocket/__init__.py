"""FxSocket client library (REST + stream); imports nothing else from fxbot."""

from fxbot.fxsocket.client import FxSocketClient
from fxbot.fxsocket.errors import (
    ApiError,
    BadRequestError,
    ConnectionFailedError,
    ForbiddenError,
    FxSocketError,
    InvalidArgumentError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
    ServerError,
    UnauthorizedError,
    UnexpectedResponseError,
)
from fxbot.fxsocket.events import (
    AccountUpdateEvent,
    OrderEvent,
    OrderEventData,
    QuoteEvent,
    StreamConnected,
    StreamDisconnected,
    StreamErrorEvent,
    StreamEvent,
    SubscriptionEvent,
)
from fxbot.fxsocket.models import (
    Account,
    AccountSummary,
    Candle,
    CandleSeries,
    CloseResult,
    HistoryPage,
    ModifyResult,
    OrderChanges,
    OrderRequest,
    OrderResult,
    OrderType,
    PendingOrder,
    Position,
    Quote,
    Side,
    Timeframe,
    Trade,
)
from fxbot.fxsocket.pacing import RequestPacer
from fxbot.fxsocket.stream import FxSocketStream

__all__ = [
    "Account", "AccountSummary", "AccountUpdateEvent", "ApiError", "BadRequestError",
    "Candle", "CandleSeries", "CloseResult", "ConnectionFailedError", "ForbiddenError",
    "FxSocketClient", "FxSocketError", "FxSocketStream", "HistoryPage", "InvalidArgumentError",
    "ModifyResult", "NotFoundError", "OrderChanges", "OrderEvent", "OrderEventData", "OrderRequest",
    "OrderResult", "OrderType", "OutcomeUnknownError", "PendingOrder", "Position", "Quote", "QuoteEvent",
    "RateLimitedError", "RequestPacer", "ServerError", "Side", "StreamConnected", "StreamDisconnected",
    "StreamErrorEvent", "StreamEvent", "SubscriptionEvent", "Timeframe", "Trade", "UnauthorizedError",
    "UnexpectedResponseError",
]
