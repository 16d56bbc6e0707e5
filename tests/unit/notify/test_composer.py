"""Composer: one message per batch, sorted by severity, split at the limit, "+N more", criticals kept."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fxbot.chat.types import ReplyKind
from fxbot.notify.composer import MARGIN, compose, text_size
from fxbot.notify.notification import Notification, Severity
from tests.unit.notify.factories import note


def entries(*notes: Notification) -> list[tuple[int, Notification]]:
    return [(i + 1, n) for i, n in enumerate(notes)]


def _size(part_text: str) -> int:
    return text_size(part_text)


def test_single_notification_keeps_its_own_title() -> None:
    [part] = compose(entries(note(title="EURUSD above 1.0900", lines=("Bid 1.0901",))), message_limit=4096)
    assert part.reply.title == "EURUSD above 1.0900"
    assert part.reply.text == ("Bid 1.0901",)
    assert part.item_ids == (1,)
    assert part.reply.kind is ReplyKind.INFO
    assert not part.critical


def test_merged_message_is_sorted_critical_first_with_a_summary_title() -> None:
    batch = entries(
        note(key="a", title="info one", seconds=0),
        note(key="b", title="stop-out", severity=Severity.CRITICAL, seconds=2),
        note(key="c", title="warn", severity=Severity.WARNING, seconds=1),
    )
    [part] = compose(batch, message_limit=4096)
    assert part.reply.title == "3 alerts (1 critical)"
    assert [block.splitlines()[0] for block in part.reply.text] == ["🚨 stop-out", "⚠️ warn", "• info one"]
    assert sorted(part.item_ids) == [1, 2, 3]
    assert part.critical and part.reply.kind is ReplyKind.ERROR


def test_title_names_fills_or_mixed_notifications() -> None:
    fills = entries(note(key="a", kind="fill"), note(key="b", kind="fill"))
    assert compose(fills, message_limit=None)[0].reply.title == "2 fills"
    mixed = entries(note(key="a", kind="fill"), note(key="b", kind="price_alert"))
    assert compose(mixed, message_limit=None)[0].reply.title == "2 notifications"


def test_silent_only_when_every_merged_notification_is_silent() -> None:
    both = entries(note(key="a", silent=True), note(key="b", silent=True))
    assert compose(both, message_limit=None)[0].reply.silent
    one = entries(note(key="a", silent=True), note(key="b", silent=False))
    assert not compose(one, message_limit=None)[0].reply.silent


def test_long_batches_split_at_the_limit_with_numbered_titles() -> None:
    batch = entries(*(note(key=f"k{i}", title=f"alert number {i}", lines=("x" * 150,)) for i in range(20)))
    parts = compose(batch, message_limit=2000)
    assert 2 <= len(parts) <= 3
    for index, part in enumerate(parts, 1):
        assert _size(part.reply.plain_text) + len(part.reply.text) <= 2000 - MARGIN
        assert part.reply.title == f"20 alerts ({index}/{len(parts)})"
    ids = [i for part in parts for i in part.item_ids]
    assert sorted(ids) == list(range(1, 21))
    assert "more" not in parts[-1].reply.plain_text


def test_overflow_becomes_a_plus_n_more_line() -> None:
    batch = entries(
        *(note(key=f"w{i}", severity=Severity.WARNING, lines=("y" * 300,)) for i in range(10)),
        *(note(key=f"i{i}", lines=("x" * 300,)) for i in range(40)),
    )
    parts = compose(batch, message_limit=2000, max_parts=3)
    assert len(parts) == 3
    last = parts[-1].reply.text[-1]
    shown = sum(len(p.reply.text) for p in parts) - 1
    assert last.startswith(f"+{50 - shown} more (")
    assert "info" in last
    assert sorted(i for p in parts for i in p.item_ids) == list(range(1, 51))  # all accounted for
    for part in parts:
        assert _size(part.reply.plain_text) + len(part.reply.text) <= 2000 - MARGIN
    # warnings come before infos, so they are the ones shown
    assert all("⚠️" in block for block in parts[0].reply.text)


def test_criticals_are_never_summarised_even_beyond_max_parts() -> None:
    crits = [note(key=f"c{i}", severity=Severity.CRITICAL, title=f"stop-out {i}", lines=("z" * 400,))
             for i in range(20)]
    infos = [note(key=f"i{i}", lines=("x" * 400,)) for i in range(30)]
    parts = compose(entries(*infos, *crits), message_limit=2000, max_parts=3)
    text = "\n".join(p.reply.plain_text for p in parts)
    for i in range(20):
        assert f"stop-out {i}\n" in text
    assert len(parts) > 3
    assert parts[0].critical
    assert "more (" in parts[-1].reply.text[-1]
    assert sorted(i for p in parts for i in p.item_ids) == list(range(1, 51))


def test_a_huge_single_notification_is_truncated_to_the_limit() -> None:
    [part] = compose(entries(note(lines=("é" * 10_000,))), message_limit=4096)
    assert _size(part.reply.plain_text) <= 4096
    assert part.reply.text[0].endswith("…")


def test_utf16_size_counts_astral_characters_twice() -> None:
    assert text_size("🚨") == 2
    assert text_size("abc") == 3


def test_no_limit_means_one_part() -> None:
    batch = entries(*(note(key=f"k{i}", lines=("x" * 500,)) for i in range(100)))
    [part] = compose(batch, message_limit=None)
    assert len(part.reply.text) == 100


def test_bad_arguments() -> None:
    assert compose([], message_limit=4096) == []
    with pytest.raises(ValueError):
        compose(entries(note()), message_limit=10)
    with pytest.raises(ValueError):
        compose(entries(note()), message_limit=4096, max_parts=0)


@settings(max_examples=60, deadline=None)
@given(
    severities=st.lists(st.sampled_from(list(Severity)), min_size=1, max_size=80),
    line_len=st.integers(0, 900),
    limit=st.sampled_from([2000, 4096]),
    max_parts=st.integers(1, 4),
)
def test_every_item_is_accounted_for_and_criticals_always_shown(
    severities: list[Severity], line_len: int, limit: int, max_parts: int
) -> None:
    batch = entries(*(note(key=f"k{i}", severity=s, title=f"t{i}", lines=("x" * line_len,))
                      for i, s in enumerate(severities)))
    parts = compose(batch, message_limit=limit, max_parts=max_parts)
    ids = [i for p in parts for i in p.item_ids]
    assert sorted(ids) == list(range(1, len(severities) + 1))
    for part in parts:
        assert _size(part.reply.plain_text) + 2 * len(part.reply.text) <= limit
    text = "\n".join(p.reply.plain_text for p in parts)
    critical_count = severities.count(Severity.CRITICAL)
    for i, s in enumerate(severities):
        if s is Severity.CRITICAL:
            assert f"t{i}\n" in text or text.endswith(f"t{i}") or len(severities) == 1
    if critical_count == 0 or len(parts) <= max_parts:
        assert len(parts) <= max_parts
