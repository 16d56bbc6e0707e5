"""Property tests: whatever people type, the dispatcher answers and never raises."""

from __future__ import annotations

import asyncio
import logging

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fxbot.chat.types import ChatKind, ChatRef, Reply

from .fakes import ALICE, GROUP, PRIVATE, FakeResolver, RecordingAudit, build_dispatcher, message

NAMES = ["buy", "b", "positions", "pos", "close", "boom", "fail", "link", "quiet", "byu", "help", "BUY@bot"]
WORDS = st.one_of(
    st.sampled_from(["EURUSD", "eurusd", "eur", "usd", "0.1", "0.015", "-1", "20p", "pos_1", "ord_x", "usage",
                     "rejected", "unknown", "sl=20p", "tp=1.1", "sl=", "x=y", '"', "'", '"a b"', "“q”",
                     "sk_live_abcdef12345", "nan", "1e9", "@bob", "\n", "=", "==", "/", "@"]),
    st.text(min_size=0, max_size=12),
)
COMMAND_LINES = st.builds(lambda name, words, sep: "/" + name + sep + " ".join(words),
                          st.one_of(st.sampled_from(NAMES), st.text(max_size=8)),
                          st.lists(WORDS, max_size=6), st.sampled_from([" ", "", "  ", "\t"]))
CHATS = st.sampled_from([GROUP, PRIVATE, ChatRef("discord:9", ChatKind.GROUP, "discord", thread_id="t1")])


def run_all(texts_and_chats: list[tuple[str, ChatRef]]) -> list[list[Reply]]:
    logging.disable(logging.CRITICAL)  # the "boom" command logs a traceback on purpose
    try:
        dispatcher, _, _ = build_dispatcher(FakeResolver(), RecordingAudit())
        loop = asyncio.new_event_loop()
        try:
            return [loop.run_until_complete(dispatcher.handle(message(text, user=ALICE, chat=chat)))
                    for text, chat in texts_and_chats]
        finally:
            loop.close()
    finally:
        logging.disable(logging.NOTSET)


def check(text: str, replies: list[Reply]) -> None:
    assert all(isinstance(r, Reply) for r in replies)
    if text.lstrip().startswith("/"):
        assert len(replies) >= 1
    for reply in replies:
        assert "Traceback" not in reply.plain_text
        assert "sk_live_abcdef12345" not in reply.plain_text


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.text(), CHATS)
def test_arbitrary_text_never_raises(text: str, chat: ChatRef) -> None:
    [replies] = run_all([(text, chat)])
    check(text, replies)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.text().map(lambda t: "/" + t), CHATS)
def test_anything_starting_with_slash_gets_a_reply(text: str, chat: ChatRef) -> None:
    [replies] = run_all([(text, chat)])
    check(text, replies)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(st.tuples(COMMAND_LINES, CHATS), min_size=1, max_size=5))
def test_commands_with_random_arguments_always_answer(lines: list[tuple[str, ChatRef]]) -> None:
    for (text, _), replies in zip(lines, run_all(lines), strict=True):
        check(text, replies)
