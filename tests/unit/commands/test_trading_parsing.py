"""Unit tests of the order commands' own argument handling and the confirmation policy."""

from __future__ import annotations

import pytest

from fxbot.chat.argument_types import PriceOrPips
from fxbot.commands.order_args import parse_close_target, parse_stop_edit
from fxbot.errors import UsageError
from fxbot.services.trading_models import StopEdit
from fxbot.services.trading_policy import confirmation_needed, describe_policy
from fxbot.storage import ChatSettings


@pytest.mark.parametrize("word", ["none", "NONE", "off", "clear", "0"])
def test_clear_words_clear_a_stop(word: str) -> None:
    assert parse_stop_edit("sl", word) == StopEdit(None)


def test_stop_edit_prices_and_pips() -> None:
    assert parse_stop_edit("sl", None) is None
    assert parse_stop_edit("sl", "1.0850") == StopEdit(PriceOrPips(1.085, in_pips=False))
    assert parse_stop_edit("tp", "20p") == StopEdit(PriceOrPips(20.0, in_pips=True))


def test_bad_stop_edit_explains_none() -> None:
    with pytest.raises(UsageError) as caught:
        parse_stop_edit("sl", "soon")
    assert "or 'none' to remove it" in caught.value.message
    assert caught.value.usage is not None and caught.value.usage.startswith("/modify")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("all", ("all", "all")),
        ("ALL", ("all", "all")),
        ("pos_abc123", ("pos_abc123", "id")),
        ("POS_abc123", ("pos_abc123", "id")),
        ("ord_Z9", ("ord_Z9", "id")),
        ("eurusd", ("EURUSD", "symbol")),
        ("eur/usd", ("EURUSD", "symbol")),
    ],
)
def test_close_targets(text: str, expected: tuple[str, str]) -> None:
    assert parse_close_target(text) == expected


def test_a_mistyped_close_symbol_gets_a_suggestion() -> None:
    with pytest.raises(UsageError) as caught:
        parse_close_target("EURUSDD")
    assert "did you mean EURUSD" in caught.value.message


def _settings(mode: str | None = None, above: float | None = None) -> ChatSettings:
    return ChatSettings(chat_id="c", confirm_mode=mode, confirm_above=above)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("mode", "above", "private", "volume", "needed"),
    [
        (None, None, True, 0.1, False),
        (None, None, True, 1.0, False),
        (None, None, True, 1.01, True),
        (None, None, False, 0.01, True),
        ("always", None, True, 0.01, True),
        ("never", None, False, 50.0, False),
        ("above", 0.5, False, 0.5, False),
        ("above", 0.5, False, 0.51, True),
        ("above", None, True, 2.0, True),
    ],
)
def test_confirmation_policy(mode: str | None, above: float | None, private: bool, volume: float,
                             needed: bool) -> None:
    assert confirmation_needed(_settings(mode, above), private_chat=private, volume=volume) is needed


def test_policy_descriptions() -> None:
    assert "default for group chats" in describe_policy(_settings(), private_chat=False)
    assert "above 1.00 lot" in describe_policy(_settings(), private_chat=True)
    assert describe_policy(_settings("never"), private_chat=True) == "send orders at once"
    assert "above 0.50 lots" in describe_policy(_settings("above", 0.5), private_chat=True)
