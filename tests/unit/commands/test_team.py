"""The /role, /members and /audit replies."""

from __future__ import annotations

from datetime import UTC, datetime

from fxbot.commands.team import audit_reply, members_reply, role_reply
from fxbot.domain.access import Role
from fxbot.services.team import RoleChange
from fxbot.storage import AuditEntry, Member

AT = datetime(2026, 4, 2, 14, 30, tzinfo=UTC)


def member(name: str, role: Role) -> Member:
    return Member(chat_id="g", user_id=f"telegram:{name}", display_name=name, role=role, updated_at=AT)


def test_role_reply() -> None:
    changed = role_reply(RoleChange(member=member("bob", Role.TRADER), previous=Role.VIEWER))
    assert changed.text == ("bob is now a trader (was viewer) — can also trade",)
    same = role_reply(RoleChange(member=member("bob", Role.TRADER), previous=Role.TRADER))
    assert "nothing changed" in same.text[0]


def test_members_reply_counts_roles() -> None:
    reply = members_reply([member("ann", Role.ADMIN), member("bob", Role.VIEWER), member("cy", Role.VIEWER)],
                          "Europe/Berlin")
    assert reply.table is not None and reply.table.rows[0] == ("ann", "admin", "telegram:ann", "2026-04-02 16:30 CEST")
    assert reply.text[0] == "1 admin, 0 traders, 2 viewers"
    assert "nobody" in members_reply([], "UTC").text[0]


def test_audit_reply_names_people_and_flattens_results() -> None:
    entry = AuditEntry(id=1, at=AT, chat_id="g", user_id="telegram:ann", command="/settings", ok=False,
                       result="Settings\nline two", latency_ms=12.4)
    reply = audit_reply([entry], {"telegram:ann": "ann"}, "UTC")
    assert reply.table is not None
    assert reply.table.rows[0] == ("2026-04-02 14:30 UTC", "ann", "/settings", "failed", "Settings · line two",
                                   "12 ms")
    assert "no state-changing" in audit_reply([], {}, "UTC").text[0]
