"""Key-like strings of either FxSocket API are masked wherever user text is echoed or logged."""

from __future__ import annotations

import logging

import pytest

from fxbot.domain.redaction import looks_like_key, redact_secrets
from fxbot.logging_setup import RedactingFilter

from .fakes import PRIVATE, build_dispatcher, message

SDK_FULL = "fxs_live_Q7w8E9r0T1y2U3i4O5p6"
SDK_READ_ONLY = "fxs_ro_Z1x2C3v4B5n6M7"
V1_LIVE = "sk_live_" + "0123456789abcdef" * 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"/link {SDK_FULL} main", "/link fxs_live_*** main"),
        (f"/link {SDK_READ_ONLY}", "/link fxs_ro_***"),
        ("FXS_LIVE_AbCdEf and fxs_ro_xy", "FXS_LIVE_*** and fxs_ro_***"),
        ("wss://h/t/acc1/ws?foo=bar&api_key=fxs_live_K&x=1", "wss://h/t/acc1/ws?foo=bar&api_key=***&x=1"),
        ("a bare sk_ token: sk_Secret99", "a bare sk_ token: sk_***"),
        ("ask_price task_list_of_things", "ask_price task_list_of_things"),
        ("/buysk_live_abcdef12345", "/buysk_live_***"),
    ],
)
def test_both_apis_keys_are_masked_with_their_prefix_kept(text: str, expected: str) -> None:
    assert redact_secrets(text) == expected


def test_keys_of_the_sdk_protocol_look_like_keys() -> None:
    assert looks_like_key(f"here: {SDK_FULL}") and looks_like_key(SDK_READ_ONLY) and looks_like_key(V1_LIVE)
    assert not looks_like_key("fxs_ro_") and not looks_like_key("task_abcdef") and not looks_like_key("sk_short")


@pytest.mark.parametrize("key", [V1_LIVE, SDK_FULL, SDK_READ_ONLY])
async def test_help_for_a_pasted_key_does_not_echo_it(key: str) -> None:
    dispatcher, _, _ = build_dispatcher(with_help=True)
    [reply] = await dispatcher.handle(message(f"/help {key}", chat=PRIVATE))
    shown = " ".join(reply.text)
    assert "there is no command /" in shown
    assert key.rsplit("_", 1)[1][:6] not in shown  # nothing of the secret part
    assert "***" in shown


def test_log_records_mask_sdk_keys_in_arguments_tracebacks_and_stacks(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("fxbot.test.sdk_redaction")
    logger.addFilter(RedactingFilter())
    try:
        with caplog.at_level(logging.INFO, logger="fxbot.test.sdk_redaction"):
            logger.info("connecting to %s", f"wss://h/ws?api_key={SDK_FULL}")
            try:
                raise ValueError(f"refused {SDK_READ_ONLY}")
            except ValueError:
                logger.exception("linking failed", stack_info=True)
    finally:
        logger.filters.clear()
    records = "\n".join(
        f"{r.getMessage()} {r.exc_text or ''} {r.stack_info or ''}" for r in caplog.records
    )
    assert "Q7w8E9" not in records and "Z1x2C3" not in records
    assert "api_key=***" in records and "fxs_ro_***" in records
