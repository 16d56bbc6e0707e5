"""Neutral chat types: validation and conveniences."""

from __future__ import annotations

import pytest

from fxbot.chat.types import Button, ChatKind, ChatRef, Image, Reply, Table
from fxbot.domain.redaction import looks_like_key, redact_secrets
from fxbot.errors import AccessDenied, OutcomeUnknown, UpstreamRejected, UsageError


def test_button_action_length() -> None:
    assert Button("Go", "x" * 40).action == "x" * 40
    with pytest.raises(ValueError, match="1-40 characters"):
        Button("Go", "x" * 41)
    with pytest.raises(ValueError, match="needs a label"):
        Button("", "go")


def test_table_shape_checked() -> None:
    Table(headers=("a", "b"), rows=(("1", "2"),), align=("l", "r"))
    with pytest.raises(ValueError, match="row has 1 cells"):
        Table(headers=("a", "b"), rows=(("1",),))
    with pytest.raises(ValueError, match="align has 1 entries"):
        Table(headers=("a", "b"), rows=(), align=("l",))


def test_chat_ref_privacy_and_reply_text() -> None:
    assert ChatRef("1", ChatKind.PRIVATE, "console").is_private
    assert not ChatRef("1", ChatKind.GROUP, "console").is_private
    assert Reply(title="T", text=("a", "b")).plain_text == "T\na\nb"
    assert "bytes=3" in repr(Image(b"png", "c.png"))


def test_redaction() -> None:
    assert redact_secrets("key sk_live_abc123 and SK_TEST_x.") == "key sk_live_*** and SK_TEST_***"
    assert looks_like_key("my sk_test_abcd1234")
    assert not looks_like_key("keys look like sk_live_…")


def test_error_messages_and_reprs() -> None:
    error = UsageError("bad", usage="/x", example="/x 1")
    assert str(error) == "bad" and "usage='/x'" in repr(error)
    assert UpstreamRejected("invalid stops").message == "rejected: invalid stops — nothing was changed"
    assert OutcomeUnknown().message == "the order may have been placed — check /positions; it was not resent"
    assert OutcomeUnknown("custom").message == "custom"
    assert AccessDenied("why", "role").reason == "why"
