"""TeamService: finding members, changing roles (never the last admin) and reading the audit log."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fxbot.domain.access import Role
from fxbot.errors import NotFound, UsageError
from fxbot.services.team import TeamService, platform_admin_marker, platform_of
from fxbot.storage import Storage

GROUP = "telegram:-100"


@pytest.fixture
async def storage(storage: Storage) -> Storage:
    """The shared empty Storage with Alice (admin) and Bob (viewer) in GROUP."""
    await storage.members.set_role(GROUP, "telegram:1", Role.ADMIN, "Alice")
    await storage.members.ensure(GROUP, "telegram:2", "Bob", Role.VIEWER)
    return storage


def test_platform_of_an_id() -> None:
    assert platform_of("telegram:-100") == "telegram"
    assert platform_of("nothing") == ""


@pytest.mark.parametrize("ref", ["@bob", "Bob", "@BOB", "telegram:2", "2"])
async def test_members_are_found_by_name_or_id(storage: Storage, ref: str) -> None:
    member = await TeamService(storage=storage).find_member(GROUP, ref)
    assert member.user_id == "telegram:2"


async def test_an_unknown_member_is_not_found(storage: Storage) -> None:
    with pytest.raises(NotFound, match="send a command here"):
        await TeamService(storage=storage).find_member(GROUP, "@carol")


async def test_two_members_with_the_same_name_need_the_id(storage: Storage) -> None:
    await storage.members.ensure(GROUP, "telegram:9", "bob", Role.VIEWER)
    with pytest.raises(UsageError, match="several members"):
        await TeamService(storage=storage).find_member(GROUP, "@bob")


async def test_an_admin_promotes_and_the_previous_role_is_reported(storage: Storage) -> None:
    change = await TeamService(storage=storage).set_role(GROUP, "@bob", Role.TRADER)
    assert change.previous is Role.VIEWER and change.member.role is Role.TRADER
    stored = await storage.members.get(GROUP, "telegram:2")
    assert stored is not None and stored.role is Role.TRADER


async def test_the_last_admin_cannot_be_demoted(storage: Storage) -> None:
    team = TeamService(storage=storage)
    with pytest.raises(UsageError, match="last admin"):
        await team.set_role(GROUP, "@alice", Role.VIEWER)
    stored = await storage.members.get(GROUP, "telegram:1")
    assert stored is not None and stored.role is Role.ADMIN
    await team.set_role(GROUP, "@bob", Role.ADMIN)
    change = await team.set_role(GROUP, "@alice", Role.TRADER)
    assert change.member.role is Role.TRADER


async def test_setting_the_same_role_changes_nothing(storage: Storage) -> None:
    change = await TeamService(storage=storage).set_role(GROUP, "@alice", Role.ADMIN)
    assert change.previous is change.member.role is Role.ADMIN


async def test_audit_is_newest_first_and_bounded(storage: Storage) -> None:
    for n in range(3):
        await storage.audit.record(GROUP, "telegram:1", f"/cmd{n}", True, "ok", 1.0,
                                   datetime(2026, 4, 2, 10, n, tzinfo=UTC))
    entries = await TeamService(storage=storage).audit(GROUP, 2)
    assert [e.command for e in entries] == ["/cmd2", "/cmd1"]
    with pytest.raises(UsageError):
        await TeamService(storage=storage).audit(GROUP, 51)


async def test_a_platform_admin_cannot_be_demoted_while_marked(storage: Storage) -> None:
    await storage.members.set_role(GROUP, "telegram:3", Role.ADMIN, "Carol")
    await storage.settings.set_value(GROUP, platform_admin_marker("telegram:3"), "yes")
    with pytest.raises(UsageError, match="administers this chat on telegram"):
        await TeamService(storage=storage).set_role(GROUP, "@carol", Role.VIEWER)
    stored = await storage.members.get(GROUP, "telegram:3")
    assert stored is not None and stored.role is Role.ADMIN
