"""Read once per command: a memo of what the running command read from storage, forgotten when it ends.

The dispatcher opens a scope around each command (`command_scope()`: access check, arguments, handler). Code the
command runs may keep what it read there (`remembered` / `remember`: the chat's binding, its key, its settings)
so a second read in the same command costs nothing. What is kept is never served:
- after the command ends (the next command reads afresh, so a change made by any command or process is seen);
- to another task (a task started during the command, or a confirmation run later, reads for itself);
- after `forget_reads()`, which the storage repositories call on every write of what is kept (a binding, a key,
  a chat setting, a chat moved), so a command that changes them reads the new values.
Outside a scope `remembered` always misses and `remember` keeps nothing: the code reads from storage as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")


class CommandScope:
    """The memo of one command, valid in the task that opened it while it is open."""

    __slots__ = ("_open", "_task", "_values")

    def __init__(self, task: asyncio.Task[object] | None) -> None:
        self._task = task
        self._open = True
        self._values: dict[Hashable, object] = {}

    def __repr__(self) -> str:
        return f"CommandScope(open={self._open}, remembered={len(self._values)})"

    @property
    def usable(self) -> bool:
        """Open, and asked from the task that opened it."""
        return self._open and self._task is _current_task()

    def close(self) -> None:
        self._open = False
        self._values.clear()


_scope: ContextVar[CommandScope | None] = ContextVar("fxbot_command_scope", default=None)
_MISSING = object()


def _current_task() -> asyncio.Task[object] | None:
    try:
        return asyncio.current_task()
    except RuntimeError:  # no running loop
        return None


def _usable_scope() -> CommandScope | None:
    scope = _scope.get()
    return scope if scope is not None and scope.usable else None


@contextmanager
def command_scope() -> Iterator[CommandScope]:
    """Open the memo of one command; it is closed (and emptied) when the block ends, however it ends."""
    outer = _scope.get()
    scope = CommandScope(_current_task())
    token = _scope.set(scope)
    try:
        yield scope
    finally:
        scope.close()
        _scope.reset(token)
        if outer is not None:  # a command run inside another may have written: the outer one reads again
            outer._values.clear()


def remembered(key: Hashable, kind: type[T]) -> T | None:
    """What this command read under `key` (of type `kind`), or None: not read yet, or no scope here."""
    scope = _usable_scope()
    if scope is None:
        return None
    value = scope._values.get(key, _MISSING)
    return value if isinstance(value, kind) else None


def remember(key: Hashable, value: object) -> None:
    """Keep `value` read under `key` for the rest of this command (nothing outside a scope)."""
    scope = _usable_scope()
    if scope is not None:
        scope._values[key] = value


_writes = 0  # forget_reads() calls in this process, ever: see access_writes()


def access_writes() -> int:
    """How many writes of what decides who may do what (binding, key, chat setting, chat move, member role) this
    process has made so far: a count unchanged since a re-check means nothing of it changed here meanwhile."""
    return _writes


def forget_reads() -> None:
    """A write to what commands keep (binding, key, chat settings; a member's role): drop everything this command
    read, and count the write (access_writes)."""
    global _writes
    _writes += 1
    scope = _scope.get()
    if scope is not None:
        scope._values.clear()
