"""The id grammar of /modify, /close and /cancel: MetaTrader tickets (12345678, #12345678) beside /v1 ids, a bare
number always a ticket, and replies showing tickets as #12345678 while /v1 ids stay as they are."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fxbot.chat.arguments import bind_arguments
from fxbot.chat.parser import parse
from fxbot.chat.registry import CommandRegistry
from fxbot.commands.catalog import register_all
from fxbot.commands.order_args import parse_close_target
from fxbot.commands.trading_tables import positions_reply
from fxbot.domain.broker import Account, Position, Side
from fxbot.domain.instruments import INSTRUMENTS
from fxbot.errors import UsageError
from fxbot.services.trading_models import AccountPositions


@pytest.mark.parametrize(("text", "expected"), [
    ("12345678", ("12345678", "id")),
    ("#12345678", ("12345678", "id")),
    (" #7 ", ("7", "id")),
    ("0012345678", ("12345678", "id")),
    ("pos_8Kq", ("pos_8Kq", "id")),
    ("EURUSD", ("EURUSD", "symbol")),
    ("all", ("all", "all")),
])
def test_close_targets_with_tickets(text: str, expected: tuple[str, str]) -> None:
    assert parse_close_target(text) == expected


@pytest.mark.parametrize(("text", "fragment"), [
    ("0.05", "looks like a volume"),
    ("0,05", "looks like a volume"),
    (".5", "looks like a volume"),
    ("0", "is not a ticket"),
    ("#0", "is not a ticket"),
    ("9" * 25, "is not a ticket"),
])
def test_numbers_that_are_not_tickets_are_explained(text: str, fragment: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_close_target(text)
    assert fragment in caught.value.message
    assert caught.value.usage is not None and caught.value.usage.startswith("/close")
    assert caught.value.example is not None


def _bind(line: str) -> dict[str, object]:
    registry: CommandRegistry[object] = CommandRegistry()
    register_all(registry)  # type: ignore[arg-type]
    parsed = parse(line)
    assert parsed is not None
    spec = registry.get(parsed.name)
    assert spec is not None
    return dict(bind_arguments(spec, parsed, tuple(INSTRUMENTS)))


def test_the_registered_commands_read_tickets() -> None:
    assert _bind("/close 12345678 0.05") == {"target": "12345678", "volume": "0.05"}  # read by parse_amount
    assert _bind("/close #12345678") == {"target": "#12345678", "volume": None}  # read by parse_close_target
    assert _bind("/modify #12345678 sl=20p")["id"] == "12345678"
    assert _bind("/modify pos_ab sl=20p")["id"] == "pos_ab"
    assert _bind("/cancel 12345678")["id"] == "12345678"


def test_help_and_examples_cover_tickets() -> None:
    registry: CommandRegistry[object] = CommandRegistry()
    register_all(registry)  # type: ignore[arg-type]
    for name in ("modify", "close", "cancel"):
        spec = registry.get(name)
        assert spec is not None
        assert any("12345678" in example for example in spec.examples), name
        assert "#12345678" in spec.arguments[0].help, name
        assert spec.details is not None and "MetaTrader ticket" in spec.details, name


AT = datetime(2026, 4, 2, 14, 30, tzinfo=UTC)
ACCOUNT = Account(id="acc_1", balance=1000, equity=1000, margin=0, free_margin=1000, currency="USD")


def _position(id_: str) -> Position:
    return Position(id=id_, symbol="EURUSD", type=Side.BUY, volume=0.1, open_price=1.08, profit=1.0,
                    current_price=1.081, opened_at=AT)


def test_replies_show_tickets_with_a_hash_and_v1_ids_unchanged() -> None:
    reply = positions_reply(AccountPositions(account=ACCOUNT, positions=[_position("12345678"),
                                                                         _position("pos_8Kq")]))
    assert reply.table is not None
    assert [row[0] for row in reply.table.rows] == ["#12345678", "pos_8Kq"]
