"""Every `what=` given to upstream_call reads as a sentence in every message translate_upstream builds."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from fxbot.domain.broker import (
    BrokerError,
    RejectedError,
    ScopeRefusedError,
    ServerError,
    UnexpectedResponseError,
    UnreachableError,
)
from fxbot.services.upstream import DEFAULT_WHAT, translate_upstream

ROOT = Path(__file__).resolve().parents[3]
SCANNED = [ROOT / "fxbot", ROOT / "alerts", ROOT / "adapters"]
PLACEHOLDER = "X"  # stands for each {expression} of an f-string

# Call sites known when this test was written (new ones are checked too: see FOUND).
KNOWN_WHATS = {
    "read the account", "list the accounts", "read the quote of X", "read the X candles", "read the trade history",
    "read the positions", "read the pending orders", "read the order to modify", "prepare the order",
    "check the key", "place the order", "close X", "cancel the order", "modify the order",
}
NOT_A_VERB = {"the", "a", "an", "this", "that", "your", "my", "its", "while", "when", "to", "for", "X"}


def _rendered(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            part.value if isinstance(part, ast.Constant) and isinstance(part.value, str) else PLACEHOLDER
            for part in node.values
        )
    return None


def call_site_whats() -> set[str]:
    """The `what=` of every upstream_call / translate_upstream call in the source tree."""
    found: set[str] = set()
    for folder in SCANNED:
        for path in folder.rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
                if name not in ("upstream_call", "translate_upstream"):
                    continue
                for keyword in node.keywords:
                    forwarded = isinstance(keyword.value, ast.Name) and keyword.value.id == "what"
                    if keyword.arg == "what" and not forwarded:
                        text = _rendered(keyword.value)  # not a literal: fails the checks below, by name
                        found.add(text if text is not None else f"<what= of {path.name} is not a literal>")
    return found


FOUND = sorted(call_site_whats())


def test_every_call_site_is_found() -> None:
    assert set(FOUND) >= KNOWN_WHATS


def _messages(what: str, writes: bool) -> dict[str, str]:
    errors: dict[str, BrokerError] = {
        "connection": UnreachableError("refused", write=writes),
        "server": ServerError("boom", status=500),
        "unreadable": UnexpectedResponseError("bad body"),
        "forbidden": ScopeRefusedError("scope", status=403),
    }
    return {kind: translate_upstream(error, what=what).message for kind, error in errors.items()}


@pytest.mark.parametrize("writes", [False, True], ids=["read", "write"])
@pytest.mark.parametrize("what", [*FOUND, DEFAULT_WHAT])
def test_every_message_reads_well(what: str, writes: bool) -> None:
    first = what.split()[0]
    assert first not in NOT_A_VERB and not first.endswith("ing"), (
        f"what={what!r} must be a verb phrase that follows 'to' (\"read the account\", \"place the order\")"
    )
    messages = _messages(what, writes)
    unsent = " — nothing was sent" if writes else ""
    assert messages == {
        "connection": f"could not reach FxSocket to {what}{unsent}; try again",
        "server": f"FxSocket had a server error when asked to {what}; try again in a moment",
        "unreadable": f"FxSocket sent an answer fxbot could not read when asked to {what}",
        "forbidden": f"FxSocket refused to {what}: this chat's FxSocket key does not have the scope this needs",
    }
    assert all(" while " not in message for message in messages.values())


def test_examples_read_as_sentences() -> None:
    assert _messages("read the account", False)["connection"] == (
        "could not reach FxSocket to read the account; try again"
    )
    assert _messages("place the order", True)["connection"] == (
        "could not reach FxSocket to place the order — nothing was sent; try again"
    )
    assert _messages("close pos_1", True)["forbidden"].startswith("FxSocket refused to close pos_1: ")


@pytest.mark.parametrize("detail, expected", [
    ("the market is closed; nothing was done (retcode 10018)",
     "the market is closed; nothing was done (retcode 10018)"),
    ("Market closed (retcode 10018)", "the market is closed: Market closed (retcode 10018)"),
    ("", "the market is closed"),
])
def test_a_rejection_says_its_reason_once(detail: str, expected: str) -> None:
    message = translate_upstream(RejectedError(detail, code="market_closed")).message
    assert expected in message and message.lower().count("the market is closed") == 1
