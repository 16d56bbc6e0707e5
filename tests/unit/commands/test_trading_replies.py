"""Unit tests of the pre-trade card and order result replies."""

from __future__ import annotations

from fxbot.chat.types import ReplyKind
from fxbot.commands.trading_replies import card_reply, margin_refusal_reply, order_result_reply
from fxbot.domain.broker import OrderRequest, OrderResult, OrderType
from fxbot.services.pretrade import PreTradeCard
from fxbot.services.pretrade_margin import margin_verdict
from fxbot.services.trading_models import PreparedOrder


def _card(**changes: object) -> PreTradeCard:
    values: dict[str, object] = dict(
        account_id="acc_4pQr7", symbol="USDJPY", order_type=OrderType.SELL, volume=0.5, price=151.2,
        is_market=True, sl=151.45, tp=None, sl_pips=25.0, tp_pips=None, required_margin=837.3,
        currency="EUR", leverage=30, equity=5000.0, free_margin=5000.0, margin_level_after=597.2,
        bid=151.2, ask=151.208,
    )
    values.update(changes)
    return PreTradeCard(**values)  # type: ignore[arg-type]


def test_card_shows_price_stops_margin_and_level() -> None:
    reply = card_reply(_card(), policy="confirm every order", ttl_seconds=60)
    text = reply.plain_text
    assert reply.title == "Confirm SELL 0.50 lot USDJPY?"
    assert "price: 151.200 (current bid, market order)" in text
    assert "stop loss: 151.450 (25.0 pips)" in text
    assert "take profit: none" in text
    assert "required margin: 837.30 EUR (leverage 1:30)" in text
    assert "margin level after: 597.2%" in text
    assert "confirm within 60 s — this chat's policy: confirm every order" in text


def test_card_near_stop_out_puts_the_warning_first() -> None:
    card = _card(margin_level_after=180.0, stop_out_level=100.0)
    reply = card_reply(card, policy="p", ttl_seconds=60, verdict=margin_verdict(card))
    assert reply.kind is ReplyKind.WARNING
    assert reply.text[0].startswith("warning: the margin level after this trade, 180.0%, is within 2×")
    plain = card_reply(_card(), policy="p", ttl_seconds=60, verdict=margin_verdict(_card()))
    assert plain.kind is ReplyKind.INFO and "warning" not in plain.plain_text


def test_margin_refusal_reply_has_the_reason_figures_and_nothing_to_press() -> None:
    card = _card(required_margin=5837.3, free_margin=5000.0, margin_level_after=85.7)
    reply = margin_refusal_reply(card, margin_verdict(card))
    assert reply.title == "SELL 0.50 lot USDJPY not sent — not enough free margin"
    assert reply.kind is ReplyKind.ERROR and reply.buttons == ()
    assert reply.text[0] == ("FxSocket will refuse this order for margin: it needs 5,837.30 EUR of margin and "
                             "the free margin is 5,000.00 EUR (short by 837.30 EUR)")
    # 5,000 / (5,837.30 / 0.5) = 0.428 -> 0.42 lot
    assert "at most about 0.42 lot fits" in reply.text[1]
    assert "margin level after: 85.7%" in reply.plain_text and reply.text[-1] == "nothing was sent"


def test_pending_card_and_unknown_margin() -> None:
    card = _card(order_type=OrderType.SELL_LIMIT, is_market=False, price=152.0, required_margin=None,
                 margin_level_after=None)
    text = card_reply(card, policy="p", ttl_seconds=60).plain_text
    assert "order price: 152.000 (now bid 151.200 / ask 151.208)" in text
    assert "required margin: unknown" in text and "margin level after: —" in text


def test_fill_and_pending_replies() -> None:
    request = OrderRequest(symbol="EURUSD", type=OrderType.BUY, volume=0.1, sl=1.08)
    prepared = PreparedOrder(card=_card(), request=request, key_id=1, account_id=None)
    fill = OrderResult(id="ord_1", symbol="EURUSD", type=OrderType.BUY, volume=0.1, price=1.08342,
                       status="filled", position_id="pos_1", sl=1.08, tp=None)
    text = order_result_reply(fill, prepared).plain_text
    assert "filled at 1.08342" in text and "order ord_1, position pos_1" in text
    assert "SL 1.08000, TP none" in text
    pending = OrderResult(id="ord_2", symbol="EURUSD", type=OrderType.BUY_LIMIT, volume=0.1, price=1.08,
                          status="pending")
    text = order_result_reply(pending, prepared).plain_text
    assert "BUY LIMIT 0.10 lot EURUSD placed" in text and "/cancel ord_2" in text
