"""A digest notification carries its chart: the composer sends it as a message of its own, with the image."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fxbot.notify.composer import compose
from fxbot.notify.notification import Notification, Severity

NOW = datetime(2026, 4, 2, 21, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 32


def note(n: int, *, image: bytes | None = None) -> Notification:
    return Notification(chat_id="telegram:42", severity=Severity.INFO, title=f"title {n}", lines=(f"line {n}",),
                        dedupe_key=f"k{n}", kind="digest" if image else "price_alert", created_at=NOW,
                        image=image, image_name="digest.png" if image else None)


def test_an_image_notification_is_sent_alone_with_its_picture() -> None:
    parts = compose([(1, note(1)), (2, note(2, image=PNG)), (3, note(3))], message_limit=4096)
    assert [p.item_ids for p in parts] == [(1, 3), (2,)]
    assert parts[0].reply.image is None
    pictured = parts[1].reply
    assert pictured.image is not None and pictured.image.data == PNG and pictured.image.filename == "digest.png"
    assert pictured.title == "title 2" and pictured.text == ("line 2",)


def test_an_image_needs_a_name_and_is_kept_out_of_the_repr() -> None:
    with pytest.raises(ValueError, match="image_name"):
        Notification(chat_id="telegram:42", severity=Severity.INFO, title="t", lines=(), dedupe_key="k",
                     kind="digest", created_at=NOW, image=PNG)
    assert "PNG" not in repr(note(1, image=PNG))
