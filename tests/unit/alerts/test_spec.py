"""The /alert argument parser: good inputs become specs, bad ones get a specific message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fxbot.alerts.rules import AccountMetric, Mode, PriceCondition, PriceSide
from fxbot.alerts.spec import AccountRuleSpec, PriceRuleSpec, parse_alert_args
from fxbot.alerts.spec_times import AlertSpecError

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def _price(text: str) -> PriceRuleSpec:
    spec = parse_alert_args(text.split(), now=NOW)
    assert isinstance(spec, PriceRuleSpec)
    return spec


def _account(text: str, **kw: str) -> AccountRuleSpec:
    spec = parse_alert_args(text.split(), now=NOW, **kw)  # type: ignore[arg-type]
    assert isinstance(spec, AccountRuleSpec)
    return spec


def test_price_conditions_and_defaults() -> None:
    s = _price("EURUSD above 1.09")
    assert (s.symbol, s.side, s.condition, s.level_points, s.mode) == (
        "EURUSD", PriceSide.BID, PriceCondition.ABOVE, 109000, Mode.ONCE)
    assert _price("eurusd > 1.0900").level_points == 109000
    assert _price("EURUSD < 1.08").condition is PriceCondition.BELOW
    assert _price("EURUSD cross 1.08").condition is PriceCondition.CROSS
    assert _price("EURUSD cross up 1.08").condition is PriceCondition.CROSS_UP
    assert _price("EURUSD cross down 1.08").condition is PriceCondition.CROSS_DOWN
    assert _price("USDJPY above 151.5").level_points == 151500


def test_price_options() -> None:
    s = _price("EURUSD above 1.09 ask every for 2h")
    assert (s.side, s.mode, s.expires_at) == (PriceSide.ASK, Mode.EVERY, NOW + timedelta(hours=2))
    s = _price("EURUSD below 1.08 mid repeat 5m until 2026-12-31")
    assert (s.side, s.mode, s.repeat_minutes) == (PriceSide.MID, Mode.REPEAT, 5)
    assert s.expires_at == datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)
    noted = parse_alert_args(["EURUSD", "above", "1.09", "note", '"breakout', 'retest"'], now=NOW)
    assert isinstance(noted, PriceRuleSpec) and noted.note == "breakout retest"
    assert _price("EURUSD cross 1.09 every hysteresis 2").hysteresis_points == 20
    rule = _price("EURUSD cross up 1.09").build(chat_id="c:1", owner_id="u", account_id="a", now=NOW,
                                               current_price=1.085)
    assert rule.state.last_points == 108500 and rule.id == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "what should I watch"),
        ("FOOBAR above 1", "unknown symbol 'FOOBAR'"),
        ("EURUSD", "say when it should fire"),
        ("EURUSD near 1.09", "'near' is not a condition"),
        ("EURUSD above abc", "'abc' is not a price level"),
        ("EURUSD above -1", "must be a positive number"),
        ("EURUSD above 1.090001", "EURUSD prices have 5 decimals"),
        ("EURUSD cross up", "which level"),
        ("EURUSD cross 1.09 repeat 5m", "repeat works with above/below"),
        ("EURUSD above 1.09 repeat", "repeat needs an interval"),
        ("EURUSD above 1.09 repeat 0", "at least 1 minute"),
        ("EURUSD above 1.09 repeat 30s", "not a duration"),
        ("EURUSD above 1.09 for soon", "not a duration"),
        ("EURUSD above 1.09 until 2020-01-01", "already in the past"),
        ("EURUSD above 1.09 until tomorrow", "YYYY-MM-DD"),
        ("EURUSD above 1.09 ask bid", "the side is given twice"),
        ("EURUSD above 1.09 loudly", "unknown option 'loudly'"),
        ("EURUSD above 1.09 note", "note needs some text"),
        ("margin > 150%", "margin level alerts watch a fall"),
        ("margin 150", "write it as /alert margin < 150%"),
        ("freemargin > 500", "free margin alerts watch a fall"),
        ("equity < 95%", "not a percentage"),
        ("equity < lots", "'lots' is not a number"),
        ("drawdown", "how much drawdown"),
        ("drawdown 120%", "below 100%"),
        ("drawdown 3% tz Mars/Base", "unknown time zone"),
        ("drawdown 3% anchor 25:00", "not a time of day"),
        ("equity < 9500 tz Europe/London", "only apply to drawdown"),
    ],
)
def test_bad_inputs_have_specific_messages(text: str, message: str) -> None:
    with pytest.raises(AlertSpecError) as caught:
        parse_alert_args(text.split(), now=NOW)
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_account_specs() -> None:
    s = _account("margin < 150%")
    assert (s.metric, s.threshold, s.percent, s.mode) == (AccountMetric.MARGIN_LEVEL, 150, True, Mode.EVERY)
    assert _account("freemargin < 500").metric is AccountMetric.FREE_MARGIN
    assert _account("free margin < 500").metric is AccountMetric.FREE_MARGIN
    assert _account("equity < 9500").metric is AccountMetric.EQUITY_BELOW
    assert _account("equity > 11,000").threshold == 11000
    s = _account("drawdown 3%")
    assert (s.metric, s.threshold, s.percent, s.anchor_tz, s.anchor_hour) == (
        AccountMetric.DRAWDOWN, 3, True, "America/New_York", 17)
    s = _account("drawdown 300", chat_tz="Europe/London")
    assert (s.percent, s.anchor_tz) == (False, "Europe/London")
    s = _account("drawdown 2% tz Asia/Tokyo anchor 07:00 once")
    assert (s.anchor_tz, s.anchor_hour, s.mode) == ("Asia/Tokyo", 7, Mode.ONCE)
    rule = s.build(chat_id="c:1", owner_id="u", account_id="a", now=NOW)
    assert rule.metric is AccountMetric.DRAWDOWN and rule.anchor_hour == 7
