"""Order commands: /buy /sell (market), /buylimit /selllimit /buystop /sellstop /buystoplimit /sellstoplimit
(pending), pre-trade card."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from fxbot.chat.argument_types import ArgKind, Argument, BoundArgs, PriceOrPips
from fxbot.chat.argument_values import convert_value
from fxbot.chat.context import CommandContext
from fxbot.chat.registry import CommandRegistry, CommandSpec, Handler, Permission
from fxbot.chat.symbols import SymbolResolver
from fxbot.chat.types import Reply
from fxbot.commands.manage_orders import MANAGED_ORDER_ARGS, OrderManagement, manage_fill, order_management
from fxbot.commands.trading_replies import (
    card_reply,
    legs_result_reply,
    margin_refusal_reply,
    order_result_reply,
    order_type_text,
)
from fxbot.domain.access import Role, Scope
from fxbot.domain.broker import OrderType
from fxbot.errors import UsageError
from fxbot.services.multi_tp import MULTI_TP_USAGE, parse_take_profits
from fxbot.services.pretrade_margin import margin_verdict
from fxbot.services.risk_sizing import RISK_EXAMPLE, RISK_USAGE, parse_risk
from fxbot.services.trading_models import OrderTicket, PreparedOrder
from fxbot.services.trading_policy import confirmation_needed, describe_policy

if TYPE_CHECKING:
    from fxbot.services.container import Services

TRADE = Permission(scope=Scope.TRADE, role=Role.TRADER)
CATEGORY = "trading"
CONFIRM_TTL_SECONDS = 60.0

STOPS_DETAILS = (
    "Stops: sl= and tp= take a price (sl=1.0800) or a distance in pips (sl=20p). In pips, a BUY's SL "
    "sits that far below the entry and its TP above it (a SELL's the other way round); for pending orders "
    "the distance is measured from the order price. Orders are confirmed with a card (symbol, price, stops, "
    "required margin, margin level after) according to the chat's policy: /settings confirm always|never|"
    "above LOTS (default: always in groups, above 1 lot in private chats). A market order needing more "
    "margin than is free is refused before anything is sent; the card warns when the margin level after "
    "the trade is within 2× of the stop-out level (50%)."
)

_STOP_ARGS = (
    Argument("sl", ArgKind.PRICE_OR_PIPS, required=False, keyword=True,
             help="stop loss: a price (1.0800) or pips from the entry (20p)"),
    Argument("tp", ArgKind.TEXT, required=False, keyword=True, max=120,
             help="take profit: a price (1.0900) or pips from the entry (40p); several: 20p,40p or 20p:70%,40p:30%"),
    Argument("risk", ArgKind.TEXT, required=False, keyword=True, max=16,
             help="size from the money at risk instead of VOLUME: 1% (of balance), 0.5%eq (of equity), 50 (money)"),
)
_TP_LEVEL = Argument("tp", ArgKind.PRICE_OR_PIPS)
_NO_SYMBOLS = SymbolResolver(())
_VOLUME_ARG = Argument("volume", ArgKind.VOLUME, required=False, help="lots, e.g. 0.10 (or leave out with risk=)")
RISK_DETAILS = (
    "Risk sizing: instead of VOLUME give risk=1% (of the balance), risk=0.5%eq (of the equity) or risk=50 "
    "(money in the account currency) and a stop (sl=); the lots are the money at risk ÷ (stop distance × value "
    "of a pip per lot), rounded down to the volume step. The card shows the money at risk, its % of the balance, "
    "the R:R when a TP is given and the lots chosen. For pending orders name the price: "
    "/buylimit EURUSD price=1.0800 risk=1% sl=20p. "
    "Several take profits: tp=20p,40p,60p splits the volume equally (tp=20p:50%,40p:30%,60p:20% for shares "
    "adding up to 100%), each leg rounded down to the volume step; the order is sent as one position per take "
    "profit, all with the same stop, so the broker closes each leg at its target. be=tp1 (market orders) has the "
    "bot move the other legs' stops to breakeven once the price reaches the first target. "
)


def _read_level(text: str) -> PriceOrPips:
    value = convert_value(_TP_LEVEL, text, _NO_SYMBOLS)
    assert isinstance(value, PriceOrPips)
    return value


def _ticket(args: BoundArgs, order_type: OrderType) -> OrderTicket:
    name = order_type.value.replace("_", "").lower()
    price = args.optional("price", float) if order_type.is_pending else None
    if order_type.is_pending and price is None:
        raise UsageError(f"missing PRICE — a {order_type_text(order_type)} order needs a PRICE (with risk= name it: "
                         f"price=1.0800)", usage=f"/{name} SYMBOL VOLUME PRICE", example=f"/{name} EURUSD 0.10 1.0800")
    if order_type.is_stop_limit and args.optional("limit", float) is None:
        raise UsageError("missing LIMIT (the limit price of the order placed at the trigger; with risk= name it: "
                         "limit=1.0895)", usage=f"/{name} SYMBOL VOLUME PRICE LIMIT",
                         example=f"/{name} EURUSD 0.10 1.0900 1.0895")
    risk_text = args.optional("risk", str)
    volume = args.optional("volume", float)
    if risk_text is not None and volume is not None:
        raise UsageError("give either a VOLUME or risk=, not both — risk= works out the volume from the stop",
                         usage=RISK_USAGE, example=RISK_EXAMPLE)
    if risk_text is None and volume is None:
        raise UsageError("missing VOLUME — give the lots (0.10) or size by risk (risk=1% sl=20p)",
                         usage=f"/{name} SYMBOL VOLUME ...", example=f"/{name} EURUSD 0.10")
    risk = parse_risk(risk_text) if risk_text is not None else None
    tp_text = args.optional("tp", str)
    legs = parse_take_profits(tp_text, _read_level) if tp_text is not None else ()
    return OrderTicket(
        symbol=args.text("symbol"),
        order_type=order_type,
        risk=risk,
        volume=volume if volume is not None else 0.0,
        price=price,
        sl=args.optional("sl", PriceOrPips),
        tp=legs[0].stop if len(legs) == 1 else None,
        take_profits=legs if len(legs) > 1 else (),
        stop_limit=args.optional("limit", float) if order_type.is_stop_limit else None,
    )


async def _send_legs(context: CommandContext[Services], prepared: PreparedOrder, managed: OrderManagement | None,
                     be_tp1_pips: float | None) -> Reply:
    """Send a multi-TP order's legs; with be=tp1 every leg after the first gets a breakeven armed at TP1."""
    outcomes = await context.services.trading.send_legs(prepared)
    extra: list[str] = []
    for index, outcome in enumerate(outcomes):
        if outcome.result is None:
            continue
        context.record_order_ref(outcome.result.id)
        plan = managed
        if be_tp1_pips is not None:
            plan = OrderManagement(be_pips=be_tp1_pips) if index > 0 else None
        if plan is not None and not plan.empty:
            managed_reply = await manage_fill(context, outcome.result, plan, Reply(text=()))
            extra.extend(f"leg {index + 1}: {line}" for line in managed_reply.text
                         if not line.startswith("/trail lists"))
    reply = legs_result_reply(outcomes, prepared)
    return replace(reply, text=(*reply.text, *extra)) if extra else reply


def _sender(context: CommandContext[Services], prepared: PreparedOrder,
            managed: OrderManagement | None = None, be_tp1_pips: float | None = None
            ) -> Callable[[], Awaitable[Reply]]:
    """The one-shot action that sends the prepared order; a second call cannot send it again."""
    sent: list[bool] = []

    async def send() -> Reply:
        if sent:  # belt and braces: the confirmation book already runs an action at most once
            return Reply(text=("this order was already sent — see /positions and /orders",))
        sent.append(True)
        if prepared.legs:
            return await _send_legs(context, prepared, managed, be_tp1_pips)
        result = await context.services.trading.send_order(prepared)
        context.record_order_ref(result.id)
        if managed is not None:  # trail=/be= or the chat's defaults: the bot manages the new position
            return await manage_fill(context, result, managed, order_result_reply(result, prepared))
        return order_result_reply(result, prepared)

    return send


async def place_order(context: CommandContext[Services], args: BoundArgs, order_type: OrderType) -> Reply:
    """Check the order, then send it at once or show the card, as the chat's confirmation policy says.

    A market order that needs more margin than is free is refused here, card or not: nothing is sent."""
    services = context.services
    be_text = args.optional("be", str) if "be" in args else None
    be_tp1 = be_text is not None and be_text.strip().lower() == "tp1"
    managed = await order_management(context, args) if "trail" in args and not be_tp1 else None
    prepared = await services.trading.prepare_order(context.chat.id, _ticket(args, order_type))
    be_tp1_pips = _be_tp1_pips(prepared, args) if be_tp1 else None
    settings = await services.chat_settings.get(context.chat.id)
    private = context.chat.is_private
    verdict = margin_verdict(prepared.card)
    if verdict.refusal is not None:  # with or without a card: nothing to confirm, nothing sent
        return margin_refusal_reply(prepared.card, verdict)
    send = _sender(context, prepared, managed, be_tp1_pips)
    if not confirmation_needed(settings, private_chat=private, volume=prepared.request.volume):
        return await send()
    card = card_reply(prepared.card, policy=describe_policy(settings, private_chat=private),
                      ttl_seconds=CONFIRM_TTL_SECONDS, verdict=verdict)
    label = f"Confirm {order_type_text(order_type)}"

    async def cancelled() -> Reply:
        return Reply(text=(f"cancelled — the {order_type_text(order_type)} {prepared.request.symbol} order "
                           "was not sent",))

    return context.confirm(card, send, cancelled, confirm_label=label, confirm_style="primary")


def _be_tp1_pips(prepared: PreparedOrder, args: BoundArgs) -> float:
    """be=tp1: the first target's distance in pips, where the bot arms the other legs' breakeven."""
    if not prepared.card.tp_legs:
        raise UsageError("be=tp1 moves the other legs' stop to breakeven once the first take profit fills, so it "
                         "needs several take profits: tp=20p,40p,60p", usage=MULTI_TP_USAGE,
                         example="/buy EURUSD 0.3 sl=20p tp=20p,40p,60p be=tp1")
    if args.optional("trail", str) is not None:
        raise UsageError("be=tp1 and trail= together are not supported yet — give one of them",
                         usage=MULTI_TP_USAGE, example="/buy EURUSD 0.3 sl=20p tp=20p,40p,60p be=tp1")
    pips = prepared.card.tp_legs[0].tp_pips
    assert pips is not None
    return pips


def _handler(order_type: OrderType) -> Handler[Services]:
    async def handler(context: CommandContext[Services], args: BoundArgs) -> Reply:
        return await place_order(context, args, order_type)

    return handler


def _market_spec(name: str, order_type: OrderType, verb: str) -> CommandSpec[Services]:
    return CommandSpec(
        name=name, aliases=(),
        summary=f"{verb} at the market price, optionally with stop loss and take profit",
        usage=f"/{name} SYMBOL VOLUME|risk=1% [sl=PRICE|PIPSp] [tp=PRICE|PIPSp]",
        examples=(f"/{name} EURUSD 0.10", f"/{name} EURUSD 0.10 sl=20p tp=40p", f"/{name} EURUSD risk=1% sl=20p",
                  f"/{name} XAUUSD 0.05 sl=2300 tp=2350" if order_type is OrderType.BUY
                  else f"/{name} XAUUSD 0.05 sl=2350 tp=2300"),
        arguments=(
            Argument("symbol", ArgKind.SYMBOL, help="e.g. EURUSD (any case)"),
            _VOLUME_ARG,
            *_STOP_ARGS,
            *MANAGED_ORDER_ARGS,
        ),
        permission=TRADE, handler=_handler(order_type), state_changing=True, category=CATEGORY,
        details=RISK_DETAILS + STOPS_DETAILS,
    )


_PENDING_RULES = {
    OrderType.BUY_LIMIT: ("Buy when the price falls to PRICE (below the current ask)", "1.0800",
                          "sl=20p tp=40p"),
    OrderType.SELL_LIMIT: ("Sell when the price rises to PRICE (above the current bid)", "1.0900",
                           "sl=20p tp=40p"),
    OrderType.BUY_STOP: ("Buy when the price rises to PRICE (above the current ask)", "1.0900", "sl=20p"),
    OrderType.SELL_STOP: ("Sell when the price falls to PRICE (below the current bid)", "1.0800", "sl=20p"),
}


def _pending_spec(order_type: OrderType) -> CommandSpec[Services]:
    name = order_type.value.replace("_", "").lower()
    summary, price, stops = _PENDING_RULES[order_type]
    return CommandSpec(
        name=name, aliases=(),
        summary=f"{summary} — a pending order",
        usage=f"/{name} SYMBOL VOLUME PRICE [sl=PRICE|PIPSp] [tp=PRICE|PIPSp]",
        examples=(f"/{name} EURUSD 0.10 {price}", f"/{name} EURUSD 0.10 {price} {stops}"),
        arguments=(
            Argument("symbol", ArgKind.SYMBOL, help="e.g. EURUSD (any case)"),
            _VOLUME_ARG,
            Argument("price", ArgKind.PRICE, required=False, help="the order price"),
            *_STOP_ARGS,
        ),
        permission=TRADE, handler=_handler(order_type), state_changing=True, category=CATEGORY,
        details=RISK_DETAILS + STOPS_DETAILS,
    )


_STOP_LIMIT_RULES = {
    OrderType.BUY_STOP_LIMIT: ("Once the price rises to PRICE, place a buy limit at LIMIT (≤ PRICE): a stop-limit "
                               "order", "1.0900 1.0895", "sl=20p tp=40p"),
    OrderType.SELL_STOP_LIMIT: ("Once the price falls to PRICE, place a sell limit at LIMIT (≥ PRICE): a stop-limit "
                                "order", "1.0800 1.0805", "sl=20p tp=40p"),
}

STOP_LIMIT_DETAILS = (
    "A stop-limit order waits for the price to reach PRICE (its stop), then places a limit order at LIMIT, "
    "so it never fills worse than LIMIT (a plain stop order fills at any price). Stops in pips are measured "
    "from LIMIT, where it fills. Stop-limit orders exist on MetaTrader 5 terminals (terminal-API keys, "
    "fxs_live_…); through the /v1 API (sk_… keys) they are refused and nothing is sent. " + RISK_DETAILS
    + STOPS_DETAILS
)


def _stop_limit_spec(order_type: OrderType) -> CommandSpec[Services]:
    name = order_type.value.replace("_", "").lower()
    summary, prices, stops = _STOP_LIMIT_RULES[order_type]
    return CommandSpec(
        name=name, aliases=(),
        summary=summary,
        usage=f"/{name} SYMBOL VOLUME PRICE LIMIT [sl=PRICE|PIPSp] [tp=PRICE|PIPSp]",
        examples=(f"/{name} EURUSD 0.10 {prices}", f"/{name} EURUSD 0.10 {prices} {stops}"),
        arguments=(
            Argument("symbol", ArgKind.SYMBOL, help="e.g. EURUSD (any case)"),
            _VOLUME_ARG,
            Argument("price", ArgKind.PRICE, required=False, help="the stop price that triggers the order"),
            Argument("limit", ArgKind.PRICE, required=False,
                     help="the limit price of the order placed at the trigger"),
            *_STOP_ARGS,
        ),
        permission=TRADE, handler=_handler(order_type), state_changing=True, category=CATEGORY,
        details=STOP_LIMIT_DETAILS,
    )


def register(registry: CommandRegistry[Services]) -> None:
    """Add /buy /sell /buylimit /selllimit /buystop /sellstop /buystoplimit /sellstoplimit."""
    registry.register(_market_spec("buy", OrderType.BUY, "Buy"))
    registry.register(_market_spec("sell", OrderType.SELL, "Sell"))
    for order_type in (OrderType.BUY_LIMIT, OrderType.SELL_LIMIT, OrderType.BUY_STOP, OrderType.SELL_STOP):
        registry.register(_pending_spec(order_type))
    for order_type in (OrderType.BUY_STOP_LIMIT, OrderType.SELL_STOP_LIMIT):
        registry.register(_stop_limit_spec(order_type))
