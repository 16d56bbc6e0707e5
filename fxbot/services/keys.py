"""People's FxSocket keys: link (validated with FxSocket before storing), list, unlink, bind one to a chat.

Constructor: `KeyService(*, storage: Storage, brokers: BrokerProvider)`.

A `/v1` key's (`sk_…`) scope is what its owner declares (default `trade`): that API has no call that reveals
it, and the bot never goes beyond the declared scope; a scope refusal from FxSocket lowers it (upstream.py).
A terminal-API key's prefix says what it can do (`fxbot.domain.key_scopes`): `fxs_ro_…` is read-only, and
declaring more is refused before anything is checked with FxSocket; `fxs_live_…` is full unless capped.
"""

from __future__ import annotations

from dataclasses import dataclass

from fxbot.chat.types import ChatRef, ChatUser
from fxbot.domain.access import Role, Scope
from fxbot.domain.broker import AccountSummary, BrokerError, InvalidArgumentError, KeyRefusedError, close_broker
from fxbot.domain.key_scopes import DECLARED, DECLARED_DEFAULT, KeyScopes, key_scopes
from fxbot.errors import NotFound, UpstreamUnavailable, UsageError, UserError
from fxbot.services.brokers import LINK_USAGE, BrokerProvider
from fxbot.services.upstream import upstream_call
from fxbot.storage import DuplicateName, InvalidValue, Storage, StoredKey

DEFAULT_SCOPE = DECLARED_DEFAULT  # for keys whose prefix does not reveal their scope
DEFAULT_KEY_NAME = "main"


@dataclass(frozen=True, slots=True)
class LinkResult:
    """A key stored (or re-declared), the accounts it reaches, and whether this chat now uses it."""

    key: StoredKey
    accounts: tuple[AccountSummary, ...]
    bound_here: bool
    updated_scope_from: Scope | None = None  # set when an already linked key only had its scope changed
    scopes: KeyScopes = DECLARED  # what the key's kind allows (its prefix; never the key itself)


@dataclass(frozen=True, slots=True)
class KeyUsage:
    """A stored key and the chats bound to it."""

    key: StoredKey
    chats: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BindResult:
    """A chat bound to one of the binder's keys; `previous` names the key it used before, if another."""

    key: StoredKey
    accounts: tuple[AccountSummary, ...]
    previous: str | None
    made_admin: bool


def _key_refused_message() -> str:
    return "FxSocket refused this key (unknown or revoked) — nothing was stored"


class KeyService:
    """Stores keys only after FxSocket accepted them; replies built from its results never contain secrets."""

    def __init__(self, *, storage: Storage, brokers: BrokerProvider) -> None:
        self._storage = storage
        self._brokers = brokers

    def __repr__(self) -> str:
        return "KeyService()"

    async def validate_secret(self, secret: str) -> tuple[AccountSummary, ...]:
        """The accounts FxSocket says the secret reaches (its account list); UserError when refused or when
        no backend speaks this kind of key."""
        try:
            client = self._brokers.client_for_secret(secret)
        except InvalidArgumentError as exc:  # UnsupportedKeyError: no backend for this kind of key
            raise UserError(f"{exc.message} — nothing was stored") from None
        try:
            accounts = await client.list_accounts()
        except KeyRefusedError:
            raise UserError(_key_refused_message()) from None
        except InvalidArgumentError as exc:
            raise UserError(f"{exc.message} — nothing was stored") from None
        except BrokerError as exc:
            raise UpstreamUnavailable(
                f"could not check the key with FxSocket ({exc.code}) — nothing was stored; try again"
            ) from None
        finally:
            await close_broker(client)
        if not accounts:
            raise UserError(
                "FxSocket accepted this key but it reaches no trading account — nothing was stored"
            )
        return tuple(accounts)

    async def _free_name(self, owner_id: str) -> str:
        taken = {key.name.casefold() for key in await self._storage.keys.list_for_owner(owner_id)}
        if DEFAULT_KEY_NAME not in taken:
            return DEFAULT_KEY_NAME
        number = 2
        while f"key{number}" in taken:
            number += 1
        return f"key{number}"

    async def link(
        self,
        *,
        owner_id: str,
        secret: str,
        name: str | None,
        scope: Scope | None,
        private_chat_id: str | None,
    ) -> LinkResult:
        """Validate then store the owner's key; in a private chat with no key yet, bind it there.

        Linking a secret already stored for the owner only changes its declared scope (when given). A scope
        above what the key's kind allows (`trade` for an `fxs_ro_` key) is refused before FxSocket is asked;
        with no scope given the kind's default is stored (`fxs_ro_`: read-only, `fxs_live_`: full, else trade).
        """
        secret = secret.strip()
        if not secret or any(ch.isspace() for ch in secret):
            raise UsageError("give the FxSocket API key as one word", usage=LINK_USAGE)
        if not secret.isascii() or not secret.isprintable():
            raise UsageError("that is not an FxSocket key: keys are plain ASCII letters, digits and _ - "
                             "(e.g. sk_live_…) — nothing was stored", usage=LINK_USAGE)
        scopes = key_scopes(secret)
        if scope is not None and (refusal := scopes.refusal(scope)) is not None:
            raise UserError(f"{refusal} — nothing was stored")
        accounts = await self.validate_secret(secret)
        existing = await self._storage.keys.find_by_secret(owner_id, secret)
        if existing is not None:
            return await self._relink(existing, name, scope, accounts, scopes)
        chosen_name = name.strip() if name else await self._free_name(owner_id)
        try:
            key = await self._storage.keys.add(owner_id, chosen_name, secret, scopes.chosen(scope))
        except DuplicateName:
            raise UserError(
                f"you already have a key named '{chosen_name}' — pick another name or "
                f"/unlink {chosen_name} first; nothing was stored"
            ) from None
        except InvalidValue as exc:
            raise UsageError(f"{exc} — nothing was stored", usage=LINK_USAGE) from None
        bound_here = False
        if private_chat_id is not None and await self._storage.bindings.get(private_chat_id) is None:
            await self._storage.bindings.bind(private_chat_id, key.id, bound_by=owner_id)
            bound_here = True
        return LinkResult(key=key, accounts=accounts, bound_here=bound_here, scopes=scopes)

    async def _relink(
        self, existing: StoredKey, name: str | None, scope: Scope | None, accounts: tuple[AccountSummary, ...],
        scopes: KeyScopes,
    ) -> LinkResult:
        if name is not None and name.strip().casefold() != existing.name.casefold():
            raise UserError(f"this key is already linked as '{existing.name}' — nothing was stored")
        if scope is None or scope is existing.scope:
            raise UserError(
                f"this key is already linked as '{existing.name}' ({existing.scope.value}) — nothing changed"
            )
        await self._storage.keys.set_scope(existing.id, scope)
        await self._brokers.invalidate(existing.id)
        updated = await self._storage.keys.get(existing.id)
        assert updated is not None
        return LinkResult(key=updated, accounts=accounts, bound_here=False, updated_scope_from=existing.scope,
                          scopes=scopes)

    async def keys(self, owner_id: str) -> list[KeyUsage]:
        """The owner's keys with the chats using each."""
        result = []
        for key in await self._storage.keys.list_for_owner(owner_id):
            chats = await self._storage.bindings.chats_using_key(key.id)
            result.append(KeyUsage(key=key, chats=tuple(chats)))
        return result

    async def _own_key(self, owner_id: str, name: str) -> StoredKey:
        key = await self._storage.keys.get_by_name(owner_id, name)
        if key is None:
            names = [k.name for k in await self._storage.keys.list_for_owner(owner_id)]
            known = (
                f"your keys: {', '.join(names)}"
                if names
                else "you have no linked key — /link one in a private chat with the bot"
            )
            raise NotFound(f"you have no key named '{name.strip()}' ({known})")
        return key

    async def unlink(self, owner_id: str, name: str) -> KeyUsage:
        """Delete the owner's key; every chat bound to it loses its binding. Returns what was removed."""
        key = await self._own_key(owner_id, name)
        chats = tuple(await self._storage.bindings.chats_using_key(key.id))
        await self._storage.keys.remove(owner_id, key.name)
        await self._brokers.invalidate(key.id)
        return KeyUsage(key=key, chats=chats)

    async def bind(self, chat: ChatRef, user: ChatUser, name: str) -> BindResult:
        """Make the chat use one of the user's own keys (checked with FxSocket first).

        In a group the binder becomes (or stays) an admin of the chat. Re-binding the same key keeps
        the chat's chosen account; another key starts on its first account.
        """
        key = await self._own_key(user.id, name)
        broker = await self._brokers.for_key(key.id)
        async with upstream_call(self._storage, key.id, what="check the key"):
            accounts = tuple(await broker.list_accounts())
        previous_binding = await self._storage.bindings.get(chat.id)
        previous: str | None = None
        account_id: str | None = None
        if previous_binding is not None:
            if previous_binding.key_id == key.id:
                account_id = previous_binding.account_id
            else:
                old = await self._storage.keys.get(previous_binding.key_id)
                previous = old.name if old is not None else "a removed key"
        await self._storage.bindings.bind(chat.id, key.id, bound_by=user.id, account_id=account_id)
        made_admin = False
        if not chat.is_private:
            member = await self._storage.members.get(chat.id, user.id)
            if member is None or member.role is not Role.ADMIN:
                await self._storage.members.set_role(chat.id, user.id, Role.ADMIN, user.display_name)
                made_admin = True
        return BindResult(key=key, accounts=accounts, previous=previous, made_admin=made_admin)
