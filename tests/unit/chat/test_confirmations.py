"""Confirmation cards: tokens, expiry, who may press, exactly-once confirm, cancel, unknown tokens."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from fxbot.chat.confirmations import ConfirmationBook
from fxbot.chat.types import ButtonPress, Reply, ReplyKind
from fxbot.domain.access import Role

from .fakes import ALICE, BOB, CAROL_ADMIN, GROUP, PRIVATE, FakeClock


class Runs:
    def __init__(self) -> None:
        self.confirmed = 0
        self.cancelled = 0
        self.gate: asyncio.Event | None = None

    async def confirm(self) -> Reply:
        self.confirmed += 1
        if self.gate is not None:
            await self.gate.wait()
        return Reply(text=("order sent",), kind=ReplyKind.OK)

    async def cancel(self) -> Reply:
        self.cancelled += 1
        return Reply(text=("custom cancel",))


def card_with(book: ConfirmationBook, runs: Runs, with_cancel: bool = False) -> tuple[str, str]:
    card = book.create(ALICE, GROUP, Reply(title="Buy 0.10 EURUSD?"), runs.confirm,
                       runs.cancel if with_cancel else None)
    assert card.title == "Buy 0.10 EURUSD?"
    confirm, cancel = card.buttons
    assert (confirm.label, cancel.label) == ("Confirm", "Cancel")
    return confirm.action, cancel.action


def press(action: str, user=ALICE, chat=GROUP) -> ButtonPress:  # type: ignore[no-untyped-def]
    return ButtonPress(user=user, chat=chat, action=action, message_id="m9")


async def test_tokens_are_short_unique_and_fit_telegram() -> None:
    book, runs = ConfirmationBook(clock=FakeClock()), Runs()
    actions = {a for _ in range(200) for a in card_with(book, runs)}
    assert len(actions) == 400
    assert all(len(a.encode()) <= 40 for a in actions)
    assert len(book) == 200


async def test_existing_buttons_are_kept() -> None:
    book = ConfirmationBook(clock=FakeClock())
    from fxbot.chat.types import Button
    card = book.create(ALICE, GROUP, Reply(buttons=(Button("Chart", "/chart EURUSD"),)), Runs().confirm,
                       confirm_label="Buy now", confirm_style="danger")
    assert [b.label for b in card.buttons] == ["Chart", "Buy now", "Cancel"]
    assert card.buttons[1].style == "danger"


async def test_requester_confirms_once() -> None:
    book, runs = ConfirmationBook(clock=FakeClock()), Runs()
    confirm, cancel = card_with(book, runs)
    result = await book.press(press(confirm), Role.TRADER)
    assert result.reply is not None and result.reply.text == ("order sent",)
    assert result.remove_buttons and not result.alert
    assert runs.confirmed == 1
    again = await book.press(press(confirm), Role.TRADER)
    assert again.toast == "already confirmed" and again.reply is None
    after_cancel = await book.press(press(cancel), Role.TRADER)
    assert after_cancel.toast == "already confirmed"
    assert runs.confirmed == 1


async def test_concurrent_double_press_runs_once() -> None:
    book, runs = ConfirmationBook(clock=FakeClock()), Runs()
    runs.gate = asyncio.Event()
    confirm, _ = card_with(book, runs)
    first = asyncio.create_task(book.press(press(confirm), Role.TRADER))
    await asyncio.sleep(0)
    second = await book.press(press(confirm), Role.TRADER)
    third = await book.press(press(confirm, user=CAROL_ADMIN), Role.ADMIN)
    assert second.toast == third.toast == "already in progress"
    runs.gate.set()
    done = await first
    assert done.reply is not None and done.reply.text == ("order sent",)
    assert runs.confirmed == 1


async def test_many_simultaneous_presses_run_once() -> None:
    book, runs = ConfirmationBook(clock=FakeClock()), Runs()
    confirm, _ = card_with(book, runs)
    results = await asyncio.gather(*(book.press(press(confirm), Role.TRADER) for _ in range(20)))
    assert runs.confirmed == 1
    assert sum(1 for r in results if r.reply is not None) == 1


async def test_wrong_presser_is_refused_with_alert() -> None:
    book, runs = ConfirmationBook(clock=FakeClock()), Runs()
    confirm, cancel = card_with(book, runs)
    refused = await book.press(press(confirm, user=BOB), Role.TRADER)
    assert refused.alert and refused.toast == "only Alice or a chat admin can confirm this"
    assert not refused.remove_buttons
    refused = await book.press(press(cancel, user=BOB), Role.VIEWER)
    assert refused.toast == "only Alice or a chat admin can cancel this"
    assert runs.confirmed == 0
    ok = await book.press(press(confirm), Role.TRADER)  # the card still works for Alice
    assert ok.reply is not None and runs.confirmed == 1


async def test_chat_admin_may_confirm_by_role_and_a_platform_flag_alone_is_not_enough() -> None:
    # Whether a platform admin is a chat admin is the resolver's decision (platform_admins_are_admins):
    # the book only reads the role it resolved.
    book = ConfirmationBook(clock=FakeClock())
    runs_a, runs_b = Runs(), Runs()
    confirm_a, _ = card_with(book, runs_a)
    confirm_b, _ = card_with(book, runs_b)
    assert (await book.press(press(confirm_a, user=BOB), Role.ADMIN)).reply is not None
    refused = await book.press(press(confirm_b, user=CAROL_ADMIN), Role.VIEWER)
    assert refused.alert and refused.toast == "only Alice or a chat admin can confirm this"
    assert (await book.press(press(confirm_b, user=CAROL_ADMIN), Role.ADMIN)).reply is not None
    assert (runs_a.confirmed, runs_b.confirmed) == (1, 1)


async def test_a_confirm_is_rechecked_at_press_time_and_a_refusal_keeps_the_card() -> None:
    book, runs = ConfirmationBook(clock=FakeClock()), Runs()
    card = book.create(ALICE, GROUP, Reply(title="Buy?"), runs.confirm, command="buy")
    confirm, cancel = (b.action for b in card.buttons)
    asked: list[str | None] = []

    def deny(command: str | None) -> str | None:
        asked.append(command)
        return "you are a viewer here — nothing was sent"

    refused = await book.press(press(confirm), Role.TRADER, recheck=deny)
    assert refused.alert and refused.toast == "you are a viewer here — nothing was sent"
    assert not refused.remove_buttons and asked == ["buy"] and runs.confirmed == 0
    # a cancel needs no recheck (it sends nothing); a later allowed confirm still works before then
    assert (await book.press(press(confirm), Role.TRADER, recheck=lambda _c: None)).reply is not None
    assert runs.confirmed == 1
    assert (await book.press(press(cancel), Role.TRADER, recheck=deny)).toast == "already confirmed"


async def test_expired_confirmation_does_nothing() -> None:
    clock = FakeClock()
    book, runs = ConfirmationBook(clock=clock), Runs()
    confirm, _ = card_with(book, runs)
    clock.advance(60.0)
    result = await book.press(press(confirm), Role.TRADER)
    assert result.toast == "this confirmation expired after 60 s — nothing was sent"
    assert result.reply is not None and result.reply.kind is ReplyKind.WARNING
    assert result.remove_buttons
    assert runs.confirmed == 0


async def test_just_before_expiry_still_works() -> None:
    clock = FakeClock()
    book, runs = ConfirmationBook(clock=clock, ttl_seconds=30), Runs()
    confirm, _ = card_with(book, runs)
    clock.advance(29.9)
    assert (await book.press(press(confirm), Role.TRADER)).reply is not None
    assert runs.confirmed == 1


async def test_cancel() -> None:
    book, runs = ConfirmationBook(clock=FakeClock()), Runs()
    confirm, cancel = card_with(book, runs)
    result = await book.press(press(cancel), Role.TRADER)
    assert result.reply is not None and result.reply.text == ("cancelled, nothing was sent",)
    assert result.remove_buttons
    late = await book.press(press(confirm), Role.TRADER)
    assert late.toast == "already cancelled"
    assert runs.confirmed == 0


async def test_cancel_runs_on_cancel() -> None:
    book, runs = ConfirmationBook(clock=FakeClock()), Runs()
    _, cancel = card_with(book, runs, with_cancel=True)
    result = await book.press(press(cancel), Role.TRADER)
    assert result.reply is not None and result.reply.text == ("custom cancel",)
    assert runs.cancelled == 1


async def test_unknown_or_foreign_token() -> None:
    book, runs = ConfirmationBook(clock=FakeClock()), Runs()
    confirm, _ = card_with(book, runs)
    for action in ("cf:nope", "cx:", "zz:abc", confirm + "x"):
        result = await book.press(press(action), Role.ADMIN)
        assert result.toast == "this button is no longer active" and result.remove_buttons
    other_chat = await book.press(press(confirm, chat=PRIVATE), Role.ADMIN)
    assert other_chat.toast == "this button is no longer active"
    assert runs.confirmed == 0


async def test_failing_confirm_is_not_retried() -> None:
    book = ConfirmationBook(clock=FakeClock())
    calls = 0

    async def explode() -> Reply:
        nonlocal calls
        calls += 1
        raise RuntimeError("socket closed")

    card = book.create(ALICE, GROUP, Reply(), explode)
    action = card.buttons[0].action
    result = await book.press(press(action), Role.TRADER)
    assert result.reply is not None and result.reply.kind is ReplyKind.ERROR
    assert "not retried" in result.reply.text[0]
    assert (await book.press(press(action), Role.TRADER)).toast == "already confirmed"
    assert calls == 1


async def test_purge_expires_then_forgets() -> None:
    clock = FakeClock()
    book, runs = ConfirmationBook(clock=clock, ttl_seconds=60, keep_seconds=600), Runs()
    confirm, _ = card_with(book, runs)
    clock.advance(61)
    assert book.purge() == 0 and len(book) == 1
    clock.advance(600)
    assert book.purge() == 1 and len(book) == 0
    assert (await book.press(press(confirm), Role.TRADER)).toast == "this button is no longer active"
    card_with(book, runs)
    clock.advance(1000)
    card_with(book, runs)  # creating purges the old one
    assert len(book) == 1


async def test_datetime_clock_is_accepted() -> None:
    now = [datetime(2026, 4, 2, 12, 0, tzinfo=UTC)]
    book, runs = ConfirmationBook(clock=lambda: now[0]), Runs()
    confirm, _ = card_with(book, runs)
    now[0] += timedelta(seconds=61)
    result = await book.press(press(confirm), Role.TRADER)
    assert result.toast == "this confirmation expired after 60 s — nothing was sent"
    assert runs.confirmed == 0
