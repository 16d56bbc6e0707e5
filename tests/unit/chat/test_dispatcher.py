"""Dispatcher: the full path from chat text to replies, error mapping, logging, audit and presses."""

from __future__ import annotations

import logging

import pytest

from fxbot.chat.types import ButtonPress, ReplyKind
from fxbot.domain.access import Role, Scope
from fxbot.errors import UpstreamRejected

from .fakes import (
    ALICE,
    BOB,
    CAROL_ADMIN,
    ERRORS,
    GROUP,
    LEAKY_KEY,
    PRIVATE,
    FakeClock,
    FakeResolver,
    RecordingAudit,
    build_dispatcher,
    message,
)


async def test_plain_text_gets_no_reply() -> None:
    dispatcher, _, _ = build_dispatcher()
    assert await dispatcher.handle(message("good morning")) == []
    assert await dispatcher.handle(message("")) == []


async def test_key_pasted_in_group_is_deleted_and_not_run() -> None:
    audit = RecordingAudit()
    dispatcher, _, _ = build_dispatcher(audit=audit)
    for text in (f"here is my key {LEAKY_KEY}", f"/link {LEAKY_KEY}", f"/close pos_1 {LEAKY_KEY}"):
        [reply] = await dispatcher.handle(message(text, chat=GROUP))
        assert reply.delete_user_message
        assert reply.text == ("never paste keys in a group — use a private chat with the bot; "
                              "this message was deleted if I'm allowed to",)
        assert LEAKY_KEY not in reply.plain_text
    assert audit.records == []


async def test_key_in_private_chat() -> None:
    dispatcher, _, _ = build_dispatcher()
    [hint] = await dispatcher.handle(message(LEAKY_KEY, chat=PRIVATE))
    assert "send /link followed by the key" in hint.text[0] and not hint.delete_user_message
    [linked] = await dispatcher.handle(message(f"/link {LEAKY_KEY}", chat=PRIVATE))
    assert linked.text == ("linked",)


async def test_unknown_command_suggests() -> None:
    dispatcher, _, _ = build_dispatcher()
    [reply] = await dispatcher.handle(message("/byu EURUSD 0.1"))
    assert reply.kind is ReplyKind.ERROR
    assert reply.text == ("unknown command /byu — did you mean /buy? /help lists commands",)
    [reply] = await dispatcher.handle(message("/zzzzzz"))
    assert reply.text == ("unknown command /zzzzzz — /help lists commands",)


async def test_usage_error_shows_message_usage_and_example() -> None:
    dispatcher, services, _ = build_dispatcher()
    [reply] = await dispatcher.handle(message("/buy EURUSD 0.015"))
    assert reply.kind is ReplyKind.ERROR and reply.ephemeral
    assert reply.text == ("volume '0.015' is not a multiple of 0.01",
                          "usage: /buy SYMBOL VOLUME [sl=PRICE|PIPSp]",
                          "example: /buy EURUSD 0.10 sl=20p")
    assert services.orders_sent == 0


async def test_parse_error_shows_usage_of_the_command() -> None:
    dispatcher, _, _ = build_dispatcher()
    [reply] = await dispatcher.handle(message('/buy "EURUSD 0.1'))
    assert reply.text[0].startswith("unbalanced quote")
    assert reply.text[1] == "usage: /buy SYMBOL VOLUME [sl=PRICE|PIPSp]"
    [reply] = await dispatcher.handle(message("/€"))
    assert reply.text == ("'/€' is not a command — commands look like /help",)


async def test_symbol_suggestion_reaches_the_user() -> None:
    dispatcher, _, _ = build_dispatcher()
    [reply] = await dispatcher.handle(message("/b EURUSDD 0.1"))
    assert reply.text[0] == "unknown symbol 'EURUSDD' — did you mean EURUSD?"


async def test_access_is_checked_before_arguments() -> None:
    resolver = FakeResolver(contexts={(GROUP.id, BOB.id): (Role.VIEWER, Scope.TRADE)})
    dispatcher, _, _ = build_dispatcher(resolver)
    [reply] = await dispatcher.handle(message("/buy nonsense", user=BOB))
    assert reply.kind is ReplyKind.ERROR
    assert reply.text == (
        "you are a viewer here — /buy needs a trader; an admin can make you a trader with /role",)


async def test_read_only_key_refused() -> None:
    dispatcher, _, _ = build_dispatcher(FakeResolver(default=(Role.ADMIN, Scope.READ_ONLY)))
    [reply] = await dispatcher.handle(message("/buy EURUSD 0.1"))
    assert reply.text == ("this chat's key is read-only — /buy needs a trade key",)
    [ok] = await dispatcher.handle(message("/positions"))
    assert ok.title == "Positions"


async def test_private_only_refused_in_group() -> None:
    dispatcher, _, _ = build_dispatcher()
    [reply] = await dispatcher.handle(message("/link abc", chat=GROUP))
    assert reply.text == ("/link only works in a private chat — use a private chat with the bot",)


EXPECTED = {
    "usage": (ReplyKind.ERROR, ("volume is odd", "usage: /fail KIND", "example: /fail usage")),
    "notfound": (ReplyKind.ERROR, ("no position pos_9",)),
    "denied": (ReplyKind.ERROR, ("nope, not you",)),
    "rejected": (ReplyKind.ERROR, ("rejected: market closed — nothing was changed",)),
    "unavailable": (ReplyKind.ERROR, (
        "FxSocket is not reachable right now — nothing was sent; try again in a moment",)),
    "unknown": (ReplyKind.WARNING, ("the order may have been placed — check /positions; it was not resent",)),
    "revoked": (ReplyKind.ERROR, (ERRORS["revoked"].message,)),
    "disconnected": (ReplyKind.ERROR, ("the trading account is disconnected from its broker right now — "
                                       "try again later",)),
    "scope": (ReplyKind.ERROR, ("FxSocket refused: this chat's key does not have the scope this needs",)),
}


@pytest.mark.parametrize("kind", sorted(ERRORS))
async def test_each_error_type_becomes_a_clear_reply(kind: str) -> None:
    dispatcher, _, _ = build_dispatcher()
    [reply] = await dispatcher.handle(message(f"/fail {kind}"))
    assert (reply.kind, reply.text) == EXPECTED[kind]
    assert "Traceback" not in reply.plain_text


async def test_handler_crash_is_logged_with_context_and_apologised(caplog: pytest.LogCaptureFixture) -> None:
    dispatcher, _, _ = build_dispatcher()
    with caplog.at_level(logging.ERROR, logger="fxbot.chat.dispatcher"):
        [reply] = await dispatcher.handle(message(f"/boom {LEAKY_KEY}", chat=PRIVATE))
    assert reply.kind is ReplyKind.ERROR
    assert reply.text == ("something went wrong running /boom — it was logged; nothing else was affected",)
    logged = caplog.text
    assert "unexpected failure in /boom" in logged
    assert "RuntimeError: kaboom" in logged and "Traceback" in logged
    assert PRIVATE.id in logged and ALICE.id in logged
    assert LEAKY_KEY not in logged and "SECRET" not in logged
    assert "sk_live_***" in logged


async def test_resolver_failure_is_apologised(caplog: pytest.LogCaptureFixture) -> None:
    dispatcher, _, _ = build_dispatcher(FakeResolver(fail=True))
    with caplog.at_level(logging.ERROR):
        [reply] = await dispatcher.handle(message("/positions"))
    assert reply.text[0].startswith("something went wrong running /positions")
    assert "database is locked" in caplog.text


async def test_empty_handler_result_still_answers() -> None:
    dispatcher, _, _ = build_dispatcher()
    [reply] = await dispatcher.handle(message("/quiet"))
    assert reply.text == ("done",) and reply.kind is ReplyKind.OK


async def test_audit_only_for_state_changing_commands() -> None:
    audit = RecordingAudit()
    dispatcher, _, _ = build_dispatcher(audit=audit)
    await dispatcher.handle(message("/positions"))
    await dispatcher.handle(message("/help"))  # unknown here (help not registered) and not audited
    await dispatcher.handle(message("/fail notfound"))
    assert audit.records == []
    await dispatcher.handle(message("/close POS_77"))
    [record] = audit.records
    assert record["chat_id"] == GROUP.id and record["user_id"] == ALICE.id
    assert record["command"] == "/close POS_77" and record["ok"] is True
    assert record["result"] == "closed pos_77" and record["order_ref"] == "pos_77"
    assert record["latency_ms"] >= 0


async def test_audit_records_refusals_and_redacts_keys() -> None:
    audit = RecordingAudit()
    resolver = FakeResolver(contexts={(PRIVATE.id, ALICE.id): (Role.VIEWER, Scope.TRADE)})
    dispatcher, _, _ = build_dispatcher(resolver, audit)
    await dispatcher.handle(message("/close pos_1", chat=PRIVATE))
    await dispatcher.handle(message(f"/boom {LEAKY_KEY}", chat=PRIVATE))
    refused, crashed = audit.records
    assert refused["ok"] is False and refused["result"].startswith("you are a viewer here")
    assert crashed["ok"] is False and crashed["command"] == "/boom sk_live_***"
    assert all(LEAKY_KEY not in str(r) for r in audit.records)


async def test_failing_audit_sink_does_not_break_the_command(caplog: pytest.LogCaptureFixture) -> None:
    class BrokenAudit(RecordingAudit):
        async def record(self, **_: object) -> None:
            raise OSError("disk full")

    dispatcher, _, _ = build_dispatcher(audit=BrokenAudit())
    with caplog.at_level(logging.ERROR):
        [reply] = await dispatcher.handle(message("/close pos_1"))
    assert reply.text == ("closed pos_1",)
    assert "disk full" in caplog.text


async def test_confirm_flow_runs_once_and_is_audited() -> None:
    audit = RecordingAudit()
    dispatcher, services, _ = build_dispatcher(audit=audit)
    [card] = await dispatcher.handle(message("/buy eurusd 0.1 sl=20p"))
    assert card.title == "Confirm order" and [b.label for b in card.buttons] == ["Confirm", "Cancel"]
    assert services.orders_sent == 0
    confirm = card.buttons[0].action
    refused = await dispatcher.press(ButtonPress(BOB, GROUP, confirm))
    assert refused.alert and refused.toast == "only Alice or a chat admin can confirm this"
    done = await dispatcher.press(ButtonPress(ALICE, GROUP, confirm))
    assert done.reply is not None and done.reply.text == ("bought 0.1 EURUSD",)
    again = await dispatcher.press(ButtonPress(ALICE, GROUP, confirm))
    assert again.toast == "already confirmed"
    assert services.orders_sent == 1
    requested, confirmed = audit.records
    assert requested["command"] == "/buy eurusd 0.1 sl=20p" and requested["order_ref"] is None
    assert confirmed["command"] == "/buy eurusd 0.1 sl=20p [confirmed]"
    assert confirmed["ok"] is True and confirmed["order_ref"] == "ord_42"


async def test_admin_presser_resolved_through_resolver() -> None:
    resolver = FakeResolver(contexts={(GROUP.id, BOB.id): (Role.ADMIN, Scope.TRADE)})
    dispatcher, services, _ = build_dispatcher(resolver)
    [card] = await dispatcher.handle(message("/buy EURUSD 0.1"))
    result = await dispatcher.press(ButtonPress(BOB, GROUP, card.buttons[0].action))
    assert result.reply is not None and services.orders_sent == 1


async def test_a_requester_demoted_after_the_card_cannot_confirm() -> None:
    resolver = FakeResolver()
    dispatcher, services, _ = build_dispatcher(resolver)
    [card] = await dispatcher.handle(message("/buy EURUSD 0.1"))
    resolver.contexts[(GROUP.id, ALICE.id)] = (Role.VIEWER, Scope.TRADE)  # /role alice viewer meanwhile
    refused = await dispatcher.press(ButtonPress(ALICE, GROUP, card.buttons[0].action))
    assert refused.alert and refused.reply is None
    assert refused.toast == ("you are a viewer here — /buy needs a trader; an admin can make you a trader with "
                             "/role — nothing was sent")
    assert services.orders_sent == 0


async def test_a_key_scope_lowered_after_the_card_refuses_the_confirm() -> None:
    resolver = FakeResolver()
    dispatcher, services, _ = build_dispatcher(resolver)
    [card] = await dispatcher.handle(message("/buy EURUSD 0.1"))
    resolver.default = (Role.TRADER, Scope.READ_ONLY)  # a 403 lowered the chat's key meanwhile
    refused = await dispatcher.press(ButtonPress(ALICE, GROUP, card.buttons[0].action))
    assert refused.toast == "this chat's key is read-only — /buy needs a trade key — nothing was sent"
    resolver.contexts[(GROUP.id, BOB.id)] = (Role.ADMIN, Scope.READ_ONLY)  # an admin cannot either
    refused = await dispatcher.press(ButtonPress(BOB, GROUP, card.buttons[0].action))
    assert refused.toast is not None and "read-only" in refused.toast
    assert services.orders_sent == 0


async def test_a_platform_admin_whom_the_resolver_does_not_make_admin_cannot_confirm_anothers_card() -> None:
    # CAROL is a platform admin; with platform_admins_are_admins off the resolver gives her the stored role
    resolver = FakeResolver(contexts={(GROUP.id, CAROL_ADMIN.id): (Role.TRADER, Scope.TRADE)})
    dispatcher, services, _ = build_dispatcher(resolver)
    [card] = await dispatcher.handle(message("/buy EURUSD 0.1"))
    refused = await dispatcher.press(ButtonPress(CAROL_ADMIN, GROUP, card.buttons[0].action))
    assert refused.toast == "only Alice or a chat admin can confirm this"
    assert services.orders_sent == 0


async def test_confirmed_action_error_is_mapped_and_audited() -> None:
    audit = RecordingAudit()
    dispatcher, services, _ = build_dispatcher(audit=audit)
    services.confirm_error = UpstreamRejected("not enough margin")
    [card] = await dispatcher.handle(message("/buy EURUSD 1"))
    result = await dispatcher.press(ButtonPress(ALICE, GROUP, card.buttons[0].action))
    assert result.reply is not None
    assert result.reply.text == ("rejected: not enough margin — nothing was changed",)
    assert audit.records[-1]["ok"] is False


async def test_confirmed_action_crash_is_not_retried(caplog: pytest.LogCaptureFixture) -> None:
    dispatcher, services, _ = build_dispatcher()
    services.confirm_error = RuntimeError(f"boom {LEAKY_KEY}")
    [card] = await dispatcher.handle(message("/buy EURUSD 1"))
    with caplog.at_level(logging.ERROR):
        result = await dispatcher.press(ButtonPress(ALICE, GROUP, card.buttons[0].action))
    assert result.reply is not None and "not retried" in result.reply.text[0]
    assert LEAKY_KEY not in caplog.text
    again = await dispatcher.press(ButtonPress(ALICE, GROUP, card.buttons[0].action))
    assert again.toast == "already confirmed"


async def test_expired_press_via_dispatcher() -> None:
    clock = FakeClock()
    dispatcher, services, _ = build_dispatcher(clock=clock)
    [card] = await dispatcher.handle(message("/buy EURUSD 1"))
    clock.advance(120)
    result = await dispatcher.press(ButtonPress(ALICE, GROUP, card.buttons[0].action))
    assert result.toast == "this confirmation expired after 60 s — nothing was sent"
    assert services.orders_sent == 0


async def test_press_unknown_action() -> None:
    dispatcher, _, _ = build_dispatcher()
    result = await dispatcher.press(ButtonPress(ALICE, GROUP, "whatever"))
    assert result.toast == "this button is no longer active" and result.remove_buttons


async def test_press_carrying_a_command() -> None:
    resolver = FakeResolver(contexts={(GROUP.id, BOB.id): (Role.VIEWER, Scope.TRADE)})
    dispatcher, _, _ = build_dispatcher(resolver)
    ok = await dispatcher.press(ButtonPress(ALICE, GROUP, "/close pos_5"))
    assert ok.reply is not None and ok.reply.text == ("closed pos_5",)
    refused = await dispatcher.press(ButtonPress(BOB, GROUP, "/close pos_5"))
    assert refused.reply is None and refused.alert
    assert refused.toast is not None and refused.toast.startswith("you are a viewer here")


async def test_press_resolver_failure_is_a_toast(caplog: pytest.LogCaptureFixture) -> None:
    dispatcher, _, _ = build_dispatcher(FakeResolver(fail=True))
    with caplog.at_level(logging.ERROR):
        result = await dispatcher.press(ButtonPress(ALICE, GROUP, "cf:abc"))
    assert result.alert and result.toast == "something went wrong — it was logged"


async def test_commands_lists_the_registry() -> None:
    dispatcher, _, _ = build_dispatcher()
    assert [spec.name for spec in dispatcher.commands()][:2] == ["buy", "positions"]
