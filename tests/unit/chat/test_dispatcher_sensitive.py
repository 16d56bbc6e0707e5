"""Dispatcher: sensitive commands (arguments never logged or audited, deleted in groups) and skip_audit."""

from __future__ import annotations

import logging

import pytest

from fxbot.chat.arguments import BoundArgs
from fxbot.chat.confirmations import ConfirmationBook
from fxbot.chat.context import CommandContext
from fxbot.chat.dispatcher import Dispatcher
from fxbot.chat.registry import CommandSpec, Permission
from fxbot.chat.types import ButtonPress, Reply, ReplyKind
from fxbot.domain.access import Role
from fxbot.domain.instruments import INSTRUMENTS

from .fakes import (
    ALICE,
    GROUP,
    NOW,
    PRIVATE,
    FakeClock,
    FakeResolver,
    RecordingAudit,
    Services,
    build_dispatcher,
    build_registry,
    link,
    message,
)

HIDDEN = "/link [arguments hidden]"
SECRET_WORD = "hunter2hunter2"  # not shaped like an sk_ key: only the sensitive flag can hide it


async def test_sensitive_command_in_a_group_is_refused_deleted_and_hidden() -> None:
    audit = RecordingAudit()
    dispatcher, _, _ = build_dispatcher(audit=audit)
    for text in (f"/link {SECRET_WORD}", "/link", f'/link "{SECRET_WORD}'):  # fine, missing, unparsable
        [reply] = await dispatcher.handle(message(text, chat=GROUP))
        assert reply.kind is ReplyKind.ERROR and reply.delete_user_message, text
        assert SECRET_WORD not in reply.plain_text
    assert len(audit.records) == 3  # refused before parsing, so even the unparsable one is recorded
    for record in audit.records:
        assert record["command"] == HIDDEN and record["ok"] is False
        assert record["result"] == "/link only works in a private chat — use a private chat with the bot"
    assert all(SECRET_WORD not in str(record) for record in audit.records)


async def test_other_commands_in_a_group_keep_the_message() -> None:
    dispatcher, _, _ = build_dispatcher()
    [reply] = await dispatcher.handle(message("/close pos_1", chat=GROUP))
    assert not reply.delete_user_message
    [unknown] = await dispatcher.handle(message("/linkx abc", chat=GROUP))
    assert unknown.kind is ReplyKind.ERROR and not unknown.delete_user_message


async def test_an_unknown_command_name_never_echoes_a_key() -> None:
    dispatcher, _, _ = build_dispatcher()
    [reply] = await dispatcher.handle(message("/buysk_live_abcdef12345", chat=PRIVATE))
    assert reply.text == ("unknown command /buysk_live_*** — /help lists commands",)


async def test_sensitive_command_in_private_runs_and_is_audited_without_arguments() -> None:
    audit = RecordingAudit()
    dispatcher, _, _ = build_dispatcher(audit=audit)
    [reply] = await dispatcher.handle(message(f"/link {SECRET_WORD} main", chat=PRIVATE))
    assert reply.text == ("linked",) and not reply.delete_user_message
    [bad] = await dispatcher.handle(message(f"/link bad{SECRET_WORD}", chat=PRIVATE))
    assert bad.kind is ReplyKind.ERROR  # the sender may see their own text quoted back…
    ok, failed = audit.records
    assert ok == {**ok, "command": HIDDEN, "ok": True, "result": "linked"}
    assert failed["command"] == HIDDEN and failed["ok"] is False
    assert failed["result"].startswith("the key '[hidden]' is malformed")  # …the audit log may not
    assert all(SECRET_WORD not in str(record) for record in audit.records)


async def test_a_crashing_sensitive_command_logs_no_argument(caplog: pytest.LogCaptureFixture) -> None:
    audit = RecordingAudit()
    dispatcher, _, _ = build_dispatcher(audit=audit)
    with caplog.at_level(logging.ERROR, logger="fxbot.chat.dispatcher"):
        [reply] = await dispatcher.handle(message(f"/link crash{SECRET_WORD}", chat=PRIVATE))
    assert reply.text == ("something went wrong running /link — it was logged; nothing else was affected",)
    logged = caplog.text
    assert "unexpected failure in /link" in logged and repr(HIDDEN) in logged
    assert "RuntimeError" in logged and "fakes.py" in logged  # the type and the frames stay
    assert SECRET_WORD not in logged
    [record] = audit.records
    assert record["command"] == HIDDEN and SECRET_WORD not in str(record)


async def test_a_confirmed_sensitive_command_is_audited_and_logged_without_arguments(
    caplog: pytest.LogCaptureFixture,
) -> None:
    audit = RecordingAudit()
    dispatcher, _, _ = build_dispatcher(audit=audit)
    [card] = await dispatcher.handle(message(f"/link confirm{SECRET_WORD}", chat=PRIVATE))
    done = await dispatcher.press(ButtonPress(ALICE, PRIVATE, card.buttons[0].action))
    assert done.reply is not None and done.reply.text == ("linked",)
    [crashing] = await dispatcher.handle(message(f"/link confirm{SECRET_WORD}boom", chat=PRIVATE))
    with caplog.at_level(logging.ERROR):
        failed = await dispatcher.press(ButtonPress(ALICE, PRIVATE, crashing.buttons[0].action))
    assert failed.reply is not None and failed.reply.kind is ReplyKind.ERROR
    assert "unexpected failure in /link" in caplog.text and SECRET_WORD not in caplog.text
    assert [r["command"] for r in audit.records] == [HIDDEN, f"{HIDDEN} [confirmed]", HIDDEN, f"{HIDDEN} [confirmed]"]
    assert all(SECRET_WORD not in str(record) for record in audit.records)


def test_a_sensitive_command_must_be_private_only() -> None:
    with pytest.raises(ValueError, match="sensitive command must be private_only"):
        CommandSpec(name="secret", aliases=(), summary="s", usage="/secret", examples=(), arguments=(),
                    permission=Permission(None, Role.VIEWER), handler=link, sensitive=True)


async def show_or_change(ctx: CommandContext[Services], args: BoundArgs) -> Reply:
    if args.optional("value", str) is None:
        ctx.skip_audit()
        return Reply(text=("shown",))
    return Reply(text=("changed",), kind=ReplyKind.OK)


async def test_skip_audit_leaves_a_run_out_of_the_audit_log() -> None:
    from fxbot.chat.arguments import ArgKind, Argument

    registry = build_registry()
    registry.register(CommandSpec(
        name="pref", aliases=(), summary="Show or change a preference", usage="/pref [VALUE]", examples=(),
        arguments=(Argument("value", ArgKind.TEXT, required=False),),
        permission=Permission(None, Role.VIEWER, needs_binding=False), handler=show_or_change,
        state_changing=True))
    audit = RecordingAudit()
    dispatcher = Dispatcher(registry, FakeResolver(), Services(), known_symbols=tuple(INSTRUMENTS),
                            confirmations=ConfirmationBook(clock=FakeClock()), clock=lambda: NOW, audit=audit)
    assert (await dispatcher.handle(message("/pref")))[0].text == ("shown",)
    assert audit.records == []
    assert (await dispatcher.handle(message("/pref dark")))[0].text == ("changed",)
    [record] = audit.records
    assert record["command"] == "/pref dark"


def test_help_says_the_arguments_are_never_recorded() -> None:
    lines = build_registry().help_text("link").text
    assert "its arguments are secret: never logged or recorded (only the command name is)" in lines
    assert "needs: anyone in the chat; no key needed; private chat only" in lines
