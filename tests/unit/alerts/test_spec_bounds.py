"""Out-of-range /alert numbers get a specific message (never an OverflowError), and keys in notes are masked."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from fxbot.alerts.engine import AlertEngine
from fxbot.alerts.firing import KIND_PRICE
from fxbot.alerts.price_reading import PriceReading
from fxbot.alerts.rules import PriceRule
from fxbot.alerts.spec import (
    LEVEL_BAND,
    MAX_LEVEL_POINTS,
    PriceRuleSpec,
    check_level_near,
    parse_alert_args,
)
from fxbot.alerts.spec_options import MAX_REPEAT
from fxbot.alerts.spec_times import MAX_EXPIRY, AlertSpecError
from tests.unit.alerts.arg_grammar import ALERT_LINES, KNOWN_CRASHERS

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def _error(text: str) -> str:
    with pytest.raises(AlertSpecError) as caught:
        parse_alert_args(text.split(), now=NOW)
    return str(caught.value)


@pytest.mark.parametrize(("text", "message"), [
    ("EURUSD above 1e20", "'1e20' is far beyond any EURUSD price"),
    ("EURUSD above 1e308", "'1e308' is far beyond any EURUSD price"),
    ("EURUSD above 1e309", "'1e309' is far beyond any EURUSD price"),
    ("EURUSD above 1E+999999999", "far beyond any EURUSD price"),
    ("EURUSD above 1e-10", "EURUSD prices have 5 decimals; '1e-10' has more"),
    ("EURUSD above 0.000001", "EURUSD prices have 5 decimals"),
    ("EURUSD above nan", "must be a positive number"),
    ("EURUSD above Infinity", "must be a positive number"),
    ("EURUSD above 1.1 repeat 99999999999999999999", "repeat: '99999999999999999999' is too long; at most 7 days"),
    ("EURUSD above 1.1 repeat 8d", "repeat: '8d' is too long; at most 7 days"),
    ("EURUSD above 1.1 for 99999d", "for: '99999d' is too long; at most 2 years (732 days)"),
    ("EURUSD above 1.1 for 99999999999999999999m", "too long; at most 2 years"),
    ("EURUSD above 1.1 for " + "9" * 5000 + "w", "too long; at most 2 years"),
    ("EURUSD above 1.1 for ²", "'²' is not a duration"),
    ("EURUSD above 1.1 hysteresis 1e300", "hysteresis is in pips: at most 10,000"),
    ("EURUSD above 1.1 until 9999-12-31", "at most 2 years"),
    ("equity < 1e308", "equity: '1e308' is far beyond any account"),
    ("drawdown 1e20", "drawdown: '1e20' is far beyond any account"),
])
def test_out_of_range_numbers_get_a_specific_message(text: str, message: str) -> None:
    assert message in _error(text)


def test_the_longest_durations_still_allowed() -> None:
    spec = parse_alert_args(["EURUSD", "above", "1.1", "for", "732d"], now=NOW)
    assert spec.expires_at == NOW + MAX_EXPIRY
    repeat = parse_alert_args(["EURUSD", "above", "1.1", "repeat", "1w"], now=NOW)
    assert isinstance(repeat, PriceRuleSpec) and repeat.repeat_minutes == MAX_REPEAT.total_seconds() // 60


def test_levels_are_read_exactly_as_decimals() -> None:
    for text in ("1.09", "1.0900", "109E-2", "1,09"):
        spec = parse_alert_args(["EURUSD", "above", text], now=NOW)
        assert isinstance(spec, PriceRuleSpec) and spec.level_points == 109000


def test_a_level_must_lie_within_ten_times_the_current_price() -> None:
    far = parse_alert_args(["EURUSD", "above", "1e9"], now=NOW)
    assert isinstance(far, PriceRuleSpec)
    with pytest.raises(AlertSpecError) as caught:
        check_level_near(far, 1.0834)
    assert str(caught.value) == ("1000000000.00000 is too far from the market: EURUSD bid is 1.08340 now, and a level "
                                 "must lie between 0.10834 and 10.83400 (within 10× of the price)")
    tiny = parse_alert_args(["EURUSD", "below", "0.1"], now=NOW)
    assert isinstance(tiny, PriceRuleSpec)
    with pytest.raises(AlertSpecError, match="too far from the market"):
        check_level_near(tiny, 1.0834)
    for level in ("0.10834", "1.2", "10.834"):
        near = parse_alert_args(["EURUSD", "above", level], now=NOW)
        assert isinstance(near, PriceRuleSpec)
        check_level_near(near, 1.0834)
    check_level_near(far, float("nan"))  # no usable price: nothing to compare with


def test_a_key_pasted_in_a_note_is_masked_before_it_is_stored() -> None:
    for key, prefix in (("sk_live_4f9a8b7c6d5e4f3a2b1c", "sk_live_"), ("sk_test_abcdef123456", "sk_test_")):
        spec = parse_alert_args(["EURUSD", "above", "1.1", "note", "my", "key", key, "do", "not", "share"], now=NOW)
        assert spec.note == f"my key {prefix}*** do not share"
    account = parse_alert_args(["equity", "<", "9500", "note", '"sk_live_4f9a8b7c6d5e4f3a2b1c"'], now=NOW)
    assert account.note is not None and "4f9a8b7c" not in account.note


def test_sdk_keys_in_a_note_are_masked_too() -> None:
    for key in ("fxs_live_4f9a8b7c6d5e4f3a2b1c", "fxs_ro_4f9a8b7c6d5e4f3a2b1c"):
        spec = parse_alert_args(["EURUSD", "above", "1.1", "note", key], now=NOW)
        assert spec.note is not None and "4f9a8b7c" not in spec.note


def _with_known_crashers(test: Callable[..., None]) -> Callable[..., None]:
    for line in KNOWN_CRASHERS:
        test = example(line=line, tz=None, price=1.0834)(test)
    return test


@settings(max_examples=600, derandomize=True, deadline=None)
@given(line=ALERT_LINES, tz=st.sampled_from([None, "Pacific/Kiritimati", "America/New_York"]),
       price=st.sampled_from([1.0834, 151.2, 2315.4, 0.5, float("nan")]))
@_with_known_crashers
def test_any_alert_line_is_a_sound_spec_or_a_specific_error(line: str, tz: str | None, price: float) -> None:
    try:
        spec = parse_alert_args(line.split(), now=NOW, chat_tz=tz)
    except AlertSpecError as error:
        assert str(error)
        return
    if spec.expires_at is not None:
        assert NOW < spec.expires_at <= NOW + MAX_EXPIRY
    rule = spec.build(chat_id="console:c", owner_id="u", account_id="acc", now=NOW)
    if not isinstance(spec, PriceRuleSpec):
        AlertEngine().add(replace(rule, id=1), NOW)
        return
    assert 1 <= spec.level_points <= MAX_LEVEL_POINTS
    assert spec.repeat_minutes is None or 1 <= spec.repeat_minutes <= MAX_REPEAT.total_seconds() // 60
    try:
        check_level_near(spec, price)
    except AlertSpecError:
        return
    level = spec.level_points / 10**spec.digits
    assert price != price or price / LEVEL_BAND <= level <= price * LEVEL_BAND
    assert isinstance(rule, PriceRule)
    engine = AlertEngine()
    fired = engine.add(replace(rule, id=1), NOW, reading=PriceReading(price, price * 1.0001, asked_at=NOW))
    assert all(f.kind == KIND_PRICE for f in fired)
