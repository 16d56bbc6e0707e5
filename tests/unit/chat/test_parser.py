"""Parser: command names, bot mentions, quoting, options and clear errors."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fxbot.chat.parser import command_name_of, parse
from fxbot.errors import ParseError


def test_not_a_command_is_none() -> None:
    assert parse("hello /buy") is None
    assert parse("") is None
    assert parse("   ") is None


def test_name_args_options() -> None:
    parsed = parse("/buy EURUSD 0.10 sl=20p TP=1.0950")
    assert parsed is not None
    assert parsed.name == "buy"
    assert parsed.args == ("EURUSD", "0.10")
    assert parsed.options == {"sl": "20p", "tp": "1.0950"}
    assert parsed.mention is None
    assert parsed.raw == "/buy EURUSD 0.10 sl=20p TP=1.0950"


def test_bot_mention_is_stripped_and_exposed() -> None:
    parsed = parse("/Positions@FxDeskBot")
    assert parsed is not None
    assert (parsed.name, parsed.mention, parsed.args) == ("positions", "FxDeskBot", ())


def test_empty_mention_is_none() -> None:
    parsed = parse("/help@")
    assert parsed is not None and parsed.mention is None


def test_leading_whitespace_and_newlines() -> None:
    parsed = parse("  /note pos_1\nsecond line")
    assert parsed is not None
    assert parsed.args == ("pos_1", "second", "line")


def test_double_and_single_quotes_group_words() -> None:
    parsed = parse("/note pos_1 \"x y\" 'a  b'")
    assert parsed is not None
    assert parsed.args == ("pos_1", "x y", "a  b")


def test_smart_quotes_group_words() -> None:
    parsed = parse("/note “buy the dip” «later on»")
    assert parsed is not None
    assert parsed.args == ("buy the dip", "later on")


def test_apostrophe_inside_a_word_is_plain() -> None:
    parsed = parse("/note don't forget")
    assert parsed is not None
    assert parsed.args == ("don't", "forget")


def test_escaped_quote_inside_quotes() -> None:
    parsed = parse(r'/note "say \"hi\""')
    assert parsed is not None
    assert parsed.args == ('say "hi"',)


def test_quoted_value_of_an_option() -> None:
    parsed = parse('/alert comment="two words" x')
    assert parsed is not None
    assert parsed.options == {"comment": "two words"}
    assert parsed.args == ("x",)


def test_quoted_key_value_stays_positional() -> None:
    parsed = parse('/note "a=b"')
    assert parsed is not None
    assert parsed.args == ("a=b",)
    assert parsed.options == {}


def test_values_keep_their_text_for_the_typed_layer() -> None:
    parsed = parse("/buy eurusd 0.1 sl=20P")
    assert parsed is not None
    assert parsed.args == ("eurusd", "0.1")
    assert parsed.options == {"sl": "20P"}


@pytest.mark.parametrize("text", ['/note "abc', "/note 'abc", "/note “abc"])
def test_unbalanced_quote_is_a_parse_error(text: str) -> None:
    with pytest.raises(ParseError, match="unbalanced quote"):
        parse(text)


def test_repeated_option_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="sl= is given twice"):
        parse("/buy EURUSD 0.1 sl=1 SL=2")


@pytest.mark.parametrize("text", ["/", "/ buy", "/€uro", "/bu-y", "/@bot"])
def test_bad_command_names(text: str) -> None:
    with pytest.raises(ParseError, match="is not a command"):
        parse(text)


def test_parse_error_never_echoes_a_key() -> None:
    with pytest.raises(ParseError) as caught:
        parse('/link "sk_live_abcdefSECRET')
    assert "SECRET" not in str(caught.value)


def test_command_name_of() -> None:
    assert command_name_of("/BUY@bot x") == "buy"
    assert command_name_of('/buy "x') == "buy"
    assert command_name_of("hello") is None
    assert command_name_of("/") is None


@given(st.text())
def test_parse_only_ever_raises_parse_error(text: str) -> None:
    try:
        parsed = parse(text)
    except ParseError as error:
        assert error.message
        return
    if parsed is not None:
        assert parsed.name
        assert text.lstrip().startswith("/")
