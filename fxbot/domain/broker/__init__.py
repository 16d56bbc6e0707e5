"""The core's broker port: the vocabulary, errors and protocols fxbot trades in, whatever the backend.

What it is
    Commands, services, alerts and the stream speak only these types: value types (`Account`,
    `Position`, `Quote`, `OrderRequest`, ...), stream events (`QuoteEvent`, `OrderEvent`,
    `StreamConnected`, ...), one error tree (`BrokerError` and its subclasses, see `errors`) and two
    protocols, `Broker` (REST-like calls on an account) and `BrokerStream` (live events). No wire
    model, SDK object or backend exception ever crosses this line. Nothing here does I/O.

How a backend plugs in
    A backend implements `Broker` and `BrokerStream` over one FxSocket API and translates that API's
    models and errors to these types in ONE mapping module (the `/v1` backend: `fxbot/backends/v1.py`
    over the `/v1` client library (the `fxsocket` package), mapped in `fxbot/backends/v1_mapping.py`). It exposes a
    `BrokerBackend` (its `kind`, `client(secret)`, `stream(secret, settings)`, `aclose()`), and the
    composition root registers it in a `BrokerBackends` registry. The registry picks the backend per
    stored key by prefix (`sk_` → `/v1`; `fxs_live_`/`fxs_ro_` → the official SDK's protocol) and
    raises `UnsupportedKeyError` for a kind no backend is registered for.

Ids
    Ids are opaque strings; MetaTrader tickets are their decimal string (`tickets` explains why and
    how a person's `#12345678` is read and shown).
"""

from fxbot.domain.broker.capabilities import (
    CloseAllResult,
    ClosedItem,
    MarginEstimate,
    SupportsCloseAll,
    SupportsMarginCalc,
    SupportsSymbolSpecs,
    SupportsTerminalStatus,
    TerminalStatus,
)
from fxbot.domain.broker.enums import OrderType, Side, Timeframe
from fxbot.domain.broker.errors import (
    REJECTION_CODES,
    AccessRefusal,
    AccessRefusedError,
    AccountDisconnectedError,
    AccountOutsideKeyError,
    BillingError,
    BrokerError,
    InvalidArgumentError,
    KeyRefusedError,
    NotFoundError,
    OutcomeUnknownError,
    RateLimitedError,
    RejectedError,
    ScopeRefusedError,
    ServerError,
    UnexpectedResponseError,
    UnreachableError,
    UnsupportedKeyError,
)
from fxbot.domain.broker.events import (
    ORDER_EVENT_KINDS,
    AccountUpdateEvent,
    OrderEvent,
    OrderEventData,
    OrderEventKind,
    QuoteEvent,
    StreamConnected,
    StreamDisconnected,
    StreamErrorEvent,
    StreamEvent,
    SubscriptionEvent,
)
from fxbot.domain.broker.factory import (
    KEY_PREFIXES,
    BrokerBackend,
    BrokerBackends,
    BrokerFactory,
    KeyKind,
    key_kind,
)
from fxbot.domain.broker.models import (
    Account,
    AccountSummary,
    Candle,
    CandleSeries,
    HistoryPage,
    PendingOrder,
    Position,
    Quote,
    Trade,
    UtcDatetime,
)
from fxbot.domain.broker.orders import CloseResult, ModifyResult, OrderChanges, OrderRequest, OrderResult
from fxbot.domain.broker.ports import (
    Broker,
    BrokerStream,
    LostChannel,
    StreamSettings,
    SupportsAclose,
    close_broker,
)
from fxbot.domain.broker.symbols import TRADE_MODES, SymbolSpec, UnknownSymbolError
from fxbot.domain.broker.tickets import display_id, parse_ref, ticket_id, ticket_of

__all__ = [
    "KEY_PREFIXES", "ORDER_EVENT_KINDS", "REJECTION_CODES", "TRADE_MODES", "AccessRefusal", "AccessRefusedError",
    "Account", "AccountDisconnectedError", "AccountOutsideKeyError", "AccountSummary", "AccountUpdateEvent",
    "BillingError", "Broker", "BrokerBackend", "BrokerBackends", "BrokerError", "BrokerFactory", "BrokerStream",
    "Candle", "CandleSeries", "CloseAllResult", "CloseResult", "ClosedItem", "HistoryPage", "InvalidArgumentError",
    "KeyKind", "KeyRefusedError", "LostChannel", "MarginEstimate", "ModifyResult", "NotFoundError", "OrderChanges",
    "OrderEvent", "OrderEventData", "OrderEventKind", "OrderRequest", "OrderResult", "OrderType", "OutcomeUnknownError",
    "PendingOrder", "Position", "Quote", "QuoteEvent", "RateLimitedError", "RejectedError", "ScopeRefusedError",
    "ServerError", "Side", "StreamConnected", "StreamDisconnected", "StreamErrorEvent", "StreamEvent", "StreamSettings",
    "SubscriptionEvent", "SupportsAclose", "SupportsCloseAll", "SupportsMarginCalc", "SupportsSymbolSpecs",
    "SupportsTerminalStatus", "SymbolSpec", "TerminalStatus", "Timeframe", "Trade", "UnexpectedResponseError",
    "UnknownSymbolError", "UnreachableError", "UnsupportedKeyError", "UtcDatetime", "close_broker", "display_id",
    "key_kind", "parse_ref", "ticket_id", "ticket_of",
]
