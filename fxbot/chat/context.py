"""Who is asking, where, with which key and role: the per-command context handlers receive."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Literal, Protocol, TypeVar

from fxbot.chat.confirmations import ConfirmAction, ConfirmationBook
from fxbot.chat.types import ChatRef, ChatUser, IncomingCommand, Reply
from fxbot.domain.access import Role, Scope

S_co = TypeVar("S_co", covariant=True)


@dataclass(frozen=True, slots=True)
class ChatContext:
    """The sender's role in the chat and the key bound to the chat (if any), resolved for one command.

    The resolver decides the role (and may treat `user.is_platform_admin` as admin); the access check
    only reads `role` and `key_scope`. `key_name` is the key's label — never the key itself."""

    chat: ChatRef
    user: ChatUser
    role: Role
    key_scope: Scope | None = None
    key_name: str | None = None
    account_id: str | None = None
    binding_owner: str | None = None  # user id of whoever linked/bound the chat's key


class ChatContextResolver(Protocol):
    """Looks up role and key binding for a chat and user (implemented on top of storage)."""

    async def resolve(self, chat: ChatRef, user: ChatUser) -> ChatContext: ...


ConfirmGuard = Callable[["CommandContext[object]", ConfirmAction], ConfirmAction]


def _unguarded(_: CommandContext[object], action: ConfirmAction) -> ConfirmAction:
    return action


class CommandContext(Generic[S_co]):
    """Everything a handler may use: chat, user, resolved ChatContext, the clock reading and the services."""

    __slots__ = ("_audited", "_command", "_command_name", "_confirmations", "_ctx", "_guard", "_now",
                 "_order_ref", "_services")

    def __init__(
        self,
        *,
        command: IncomingCommand,
        command_name: str,
        ctx: ChatContext,
        services: S_co,
        now: datetime,
        confirmations: ConfirmationBook,
        guard: ConfirmGuard = _unguarded,
    ) -> None:
        self._command = command
        self._command_name = command_name
        self._ctx = ctx
        self._services = services
        self._now = now
        self._confirmations = confirmations
        self._guard = guard
        self._order_ref: str | None = None
        self._audited = True

    @property
    def command(self) -> IncomingCommand:
        return self._command

    @property
    def command_name(self) -> str:
        """The canonical name of the command being run (not the alias typed)."""
        return self._command_name

    @property
    def chat(self) -> ChatRef:
        return self._command.chat

    @property
    def user(self) -> ChatUser:
        return self._command.user

    @property
    def ctx(self) -> ChatContext:
        return self._ctx

    @property
    def services(self) -> S_co:
        return self._services

    @property
    def now(self) -> datetime:
        return self._now

    @property
    def order_ref(self) -> str | None:
        return self._order_ref

    def record_order_ref(self, ref: str) -> None:
        """Note the ord_/pos_ id this command created or touched, for the audit log."""
        self._order_ref = ref

    @property
    def audited(self) -> bool:
        """False once the handler said this run changed nothing (see `skip_audit`)."""
        return self._audited

    def skip_audit(self) -> None:
        """This run of a state-changing command only showed something: leave it out of the audit log.

        Call it only on a path that changes nothing (e.g. `/settings` with no arguments)."""
        self._audited = False

    def confirm(
        self,
        card: Reply,
        on_confirm: Callable[[], Awaitable[Reply]],
        on_cancel: Callable[[], Awaitable[Reply]] | None = None,
        *,
        confirm_label: str = "Confirm",
        confirm_style: Literal["primary", "danger", "secondary"] = "primary",
    ) -> Reply:
        """A confirmation card for the sender; `on_confirm` runs once when the sender or an admin confirms.

        Errors raised by `on_confirm` become replies (the dispatcher's guard), and the run is audited."""
        return self._confirmations.create(
            self.user,
            self.chat,
            card,
            self._guard(self, on_confirm),
            on_cancel,
            confirm_label=confirm_label,
            confirm_style=confirm_style,
            command=self._command_name,
        )
