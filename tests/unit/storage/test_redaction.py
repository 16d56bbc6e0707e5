"""Unit tests for redact_secrets, fingerprints and SQL script splitting."""

from __future__ import annotations

import pytest

from fxbot.domain.redaction import redact_secrets
from fxbot.storage.database import split_statements
from fxbot.storage.keys import fingerprint
from fxbot.storage.members import name_key


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/key add main sk_live_AbC123-_x9", "/key add main sk_live_***"),
        ("sk_test_abc and sk_live_def", "sk_test_*** and sk_live_***"),
        ("key=sk_test_ZZ9,next", "key=sk_test_***"),
        (
            "any sk_ token: sk_prod_abc, not a bare sk_ or task_abcd",
            "any sk_ token: sk_*** not a bare sk_ or task_abcd",
        ),
        ("", ""),
    ],
)
def test_redact_secrets(text: str, expected: str) -> None:
    assert redact_secrets(text) == expected


def test_fingerprint_shows_at_most_first_8_and_last_4() -> None:
    secret = "sk_test_" + "q" * 20 + "3f9a"
    assert fingerprint(secret) == "sk_test_…3f9a"
    assert fingerprint("abcdefghijklmn") == "…klmn"
    assert fingerprint("short") == "…"


def test_name_key_ignores_case_and_leading_at() -> None:
    assert name_key("@Alice") == name_key("alice") == name_key("  ALICE ") == "alice"


def test_split_statements_keeps_strings_and_triggers_whole() -> None:
    script = """
    CREATE TABLE t (a TEXT);
    INSERT INTO t VALUES ('x;y');
    CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET a = 'z'; END;
    SELECT 1
    """
    statements = split_statements(script)
    assert len(statements) == 4
    assert statements[1] == "INSERT INTO t VALUES ('x;y');"
    assert statements[2].startswith("CREATE TRIGGER") and statements[2].endswith("END;")
    assert statements[3] == "SELECT 1"
