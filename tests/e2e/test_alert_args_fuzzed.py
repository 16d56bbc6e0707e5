"""/alert through the whole bot: absurd numbers get a specific reply and store nothing; fuzzing never apologises."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings

from tests.e2e.conftest import BotHarness, reply_text
from tests.unit.alerts.arg_grammar import ALERT_LINES, KNOWN_CRASHERS

KEY = "sk_live_4f9a8b7c6d5e4f3a2b1c0d9e"


def _apology(text: str) -> bool:
    return "something went wrong" in text


@pytest.mark.parametrize(("args", "message"), [
    ("EURUSD above 1e9", "is too far from the market: EURUSD bid is"),
    ("EURUSD above 1e20", "'1e20' is far beyond any EURUSD price"),
    ("EURUSD above 1e308", "'1e308' is far beyond any EURUSD price"),
    ("EURUSD above 1e-10", "EURUSD prices have 5 decimals; '1e-10' has more"),
    ("EURUSD below 0.001", "is too far from the market"),
    ("EURUSD above 1.1 repeat 99999999999999999999", "repeat: '99999999999999999999' is too long; at most 7 days"),
    ("EURUSD above 1.1 for 99999d", "for: '99999d' is too long; at most 2 years (732 days)"),
    ("EURUSD above 1.1 hysteresis 1e300", "hysteresis is in pips"),
    ("equity < 1e308", "far beyond any account"),
])
async def test_out_of_range_input_gets_a_specific_reply_and_stores_nothing(
    bot: BotHarness, args: str, message: str
) -> None:
    text = reply_text(await bot.say(f"/alert {args}"))
    assert message in text, text
    assert "usage: /alert" in text and "example: /alert" in text, text
    assert not _apology(text)
    assert "no alerts in this chat" in reply_text(await bot.say("/alerts"))


async def test_the_band_reply_suggests_a_level_near_the_market(bot: BotHarness) -> None:
    bid = float((await bot.sim_quote("EURUSD"))["bid"])
    text = reply_text(await bot.say("/alert EURUSD above 1e9"))
    assert f"example: /alert EURUSD above {bid * 1.005:.5f}" in text


async def test_a_key_in_a_note_is_masked_in_the_reply_the_listing_and_the_database(bot: BotHarness) -> None:
    bid = float((await bot.sim_quote("EURUSD"))["bid"])
    reply = reply_text(await bot.say(f"/alert EURUSD above {bid + 0.0050:.5f} note my key {KEY}"))
    assert "Alert #1 set" in reply and "note: my key sk_live_***" in reply and KEY not in reply
    assert KEY not in reply_text(await bot.say("/alerts"))
    stored = await bot.services.alerts.repository.get(1)
    assert stored is not None and stored.note == "my key sk_live_***"
    rows = await bot.storage.db.fetch_all("SELECT * FROM alert_rules")
    assert rows and not any(KEY[8:] in str(value) for row in rows for value in dict(row).values())


def _with_known_crashers(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., Coroutine[Any, Any, None]]:
    for line in KNOWN_CRASHERS:
        test = example(line=line)(test)
    return test


@settings(max_examples=150, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(line=ALERT_LINES)
@_with_known_crashers
async def test_any_alert_line_gets_a_specific_reply_never_the_apology(bot: BotHarness, line: str) -> None:
    replies = await bot.say(f"/alert {line}")
    text = reply_text(replies)
    assert replies and not _apology(text), f"/alert {line!r} -> {text}"
    if "set" in text and "Alert #" in text:
        await bot.say("/alert del all")  # the next example starts from an empty chat (at most 200 alerts)
