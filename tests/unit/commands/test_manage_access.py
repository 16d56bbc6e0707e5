"""Access to /be and /trail: changing a rule needs a trader and a trade key; listing needs a viewer."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, cast

import pytest

from fxbot.chat.confirmations import ConfirmationBook
from fxbot.chat.dispatcher import Dispatcher
from fxbot.chat.types import IncomingCommand, Reply
from fxbot.commands.catalog import build_registry
from fxbot.domain.access import Role, Scope
from fxbot.domain.instruments import INSTRUMENTS
from fxbot.errors import UserError
from fxbot.management.rules import ManagedRule
from tests.unit.chat.fakes import ALICE, GROUP, NOW, FakeClock, FakeResolver

REACHED = "reached the broker"
SCOPES: list[Scope | None] = [None, Scope.READ_ONLY, Scope.TRADE, Scope.FULL]


@dataclass
class FakeStops:
    rules: list[ManagedRule] = field(default_factory=list)

    def rules_for_chat(self, chat_id: str) -> list[ManagedRule]:
        return self.rules


class FakeBrokers:
    async def for_chat(self, chat_id: str) -> Any:
        raise UserError(REACHED)


@dataclass
class FakeServices:
    stops: FakeStops = field(default_factory=FakeStops)
    brokers: FakeBrokers = field(default_factory=FakeBrokers)


async def _say(text: str, role: Role, scope: Scope | None) -> str:
    resolver = FakeResolver(default=(role, scope))
    dispatcher: Dispatcher[Any] = Dispatcher(
        cast(Any, build_registry()), resolver, FakeServices(), known_symbols=tuple(INSTRUMENTS),
        confirmations=ConfirmationBook(clock=FakeClock()), clock=lambda: NOW, audit=None)
    replies: list[Reply] = await dispatcher.handle(IncomingCommand(user=ALICE, chat=GROUP, text=text, received_at=NOW))
    return "\n".join(" ".join([r.title or "", *r.text]) for r in replies)


CHANGES = ["/trail 12345678 20p step=5p", "/trail 12345678 off", "/be 12345678", "/be 12345678 at=15p offset=1p",
           "/be 12345678 off"]


@pytest.mark.parametrize(("text", "role", "scope"), list(itertools.product(CHANGES, list(Role), SCOPES)))
async def test_changing_a_rule_needs_a_trader_and_a_trade_key(text: str, role: Role, scope: Scope | None) -> None:
    reply = await _say(text, role, scope)
    allowed = role.allows(Role.TRADER) and scope is not None and scope.allows(Scope.TRADE)
    if text.endswith(" off") and allowed:
        assert "no " in reply and "rule on 12345678" in reply  # nothing to switch off, but allowed
    else:
        assert (REACHED in reply) == allowed, reply


@pytest.mark.parametrize(("role", "scope"), list(itertools.product(list(Role), SCOPES)))
async def test_listing_needs_a_viewer_only(role: Role, scope: Scope | None) -> None:
    reply = await _say("/trail", role, scope)
    assert "Managed stops" in reply and "no breakeven or trailing rules" in reply


async def test_bad_distances_get_a_specific_reply_and_change_nothing() -> None:
    reply = await _say("/trail 12345678 twenty", Role.TRADER, Scope.TRADE)
    assert "'twenty' is not a distance in pips" in reply and "/trail 12345678 20p" in reply
    reply = await _say("/be 12345678 at=abc", Role.TRADER, Scope.TRADE)
    assert "at= 'abc' is not a distance in pips" in reply
    reply = await _say("/trail 12345678 0p", Role.TRADER, Scope.TRADE)
    assert "more than 0 pips" in reply
