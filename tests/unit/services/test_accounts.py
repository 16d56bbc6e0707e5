"""AccountService: the chat's account figures, the account list, and choosing an account with /use."""

from __future__ import annotations

import pytest

from fxbot.domain.access import Scope
from fxbot.errors import NotFound, UsageError
from fxbot.services.accounts import AccountService, match_account
from fxbot.storage import Storage
from tests.unit.services.fake_chat_broker import ACCOUNTS, FakeBrokers, ScriptedBroker


@pytest.mark.parametrize(("ref", "expected"), [
    ("acc_8xKm2", "acc_8xKm2"), ("ACC_4PQR7", "acc_4pQr7"), ("7654321", "acc_4pQr7"), ("1", "acc_8xKm2"),
    ("2", "acc_4pQr7"), (" 51234567 ", "acc_8xKm2"),
])
def test_an_account_is_found_by_id_login_or_number(ref: str, expected: str) -> None:
    assert match_account(ACCOUNTS, ref).id == expected


@pytest.mark.parametrize("ref", ["3", "0", "acc_nope", "12345"])
def test_an_unknown_account_is_not_found(ref: str) -> None:
    with pytest.raises(NotFound, match="among the 2"):
        match_account(ACCOUNTS, ref)


def test_an_empty_reference_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        match_account(ACCOUNTS, "  ")


async def test_use_stores_the_account_in_the_binding(storage: Storage) -> None:
    key = await storage.keys.add("u1", "main", "sk_test_abcdefghijklmnopqrstuvwxyz", Scope.TRADE)
    await storage.bindings.bind("chat", key.id, bound_by="u1")
    accounts = AccountService(storage=storage, brokers=FakeBrokers(ScriptedBroker()))  # type: ignore[arg-type]
    chosen = await accounts.use("chat", "2")
    assert chosen.id == "acc_4pQr7"
    binding = await storage.bindings.get("chat")
    assert binding is not None and binding.account_id == "acc_4pQr7"


async def test_use_of_an_unknown_account_changes_nothing(storage: Storage) -> None:
    key = await storage.keys.add("u1", "main", "sk_test_abcdefghijklmnopqrstuvwxyz", Scope.TRADE)
    await storage.bindings.bind("chat", key.id, bound_by="u1", account_id="acc_8xKm2")
    accounts = AccountService(storage=storage, brokers=FakeBrokers(ScriptedBroker()))  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        await accounts.use("chat", "acc_zzz")
    binding = await storage.bindings.get("chat")
    assert binding is not None and binding.account_id == "acc_8xKm2"


async def test_choices_mark_the_selected_account() -> None:
    brokers = FakeBrokers(ScriptedBroker())
    accounts = AccountService(storage=None, brokers=brokers)  # type: ignore[arg-type]
    first = await accounts.choices("chat")
    assert first.selected_id == "acc_8xKm2" and not first.explicitly_chosen
    brokers.account_id = "acc_4pQr7"
    chosen = await accounts.choices("chat")
    assert chosen.selected_id == "acc_4pQr7" and chosen.explicitly_chosen


async def test_details_pair_the_figures_with_the_summary() -> None:
    brokers = FakeBrokers(ScriptedBroker(), account_id="acc_4pQr7")
    details = await AccountService(storage=None, brokers=brokers).details("chat")  # type: ignore[arg-type]
    assert details.account.id == "acc_4pQr7"
    assert details.summary is not None and details.summary.status == "disconnected"
