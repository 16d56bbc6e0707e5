"""command_scope: what a command read is kept for that command only, in its own task, until a write."""

from __future__ import annotations

import asyncio

from fxbot.chat.command_scope import command_scope, forget_reads, remember, remembered


async def test_kept_within_the_scope_and_gone_after_it() -> None:
    with command_scope():
        assert remembered("k", str) is None
        remember("k", "value")
        assert remembered("k", str) == "value"
        assert remembered("k", int) is None  # another type is not served
    assert remembered("k", str) is None


async def test_nothing_is_kept_outside_a_scope() -> None:
    remember("k", "value")
    assert remembered("k", str) is None


async def test_a_write_forgets_what_was_read() -> None:
    with command_scope():
        remember("k", "value")
        forget_reads()
        assert remembered("k", str) is None


async def test_another_task_reads_for_itself_even_during_the_command() -> None:
    with command_scope():
        remember("k", "value")
        seen_by_child = await asyncio.create_task(_remembered_k())
        assert seen_by_child is None
        assert remembered("k", str) == "value"


async def test_a_task_started_during_a_command_does_not_see_its_memo_later() -> None:
    go_on = asyncio.Event()
    seen: list[str | None] = []

    async def later() -> None:
        await go_on.wait()
        seen.append(remembered("k", str))
        remember("k", "stale")
        seen.append(remembered("k", str))

    with command_scope():
        remember("k", "value")
        task = asyncio.create_task(later())
    go_on.set()
    await task
    assert seen == [None, None]


async def test_a_command_run_inside_another_makes_the_outer_one_read_again() -> None:
    with command_scope():
        remember("k", "outer")
        with command_scope():
            assert remembered("k", str) is None
            remember("k", "inner")
        assert remembered("k", str) is None


async def test_the_scope_closes_when_the_command_fails() -> None:
    try:
        with command_scope():
            remember("k", "value")
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert remembered("k", str) is None


async def _remembered_k() -> str | None:
    return remembered("k", str)
