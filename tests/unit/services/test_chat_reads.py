"""Read once per command: the chat's binding, key and settings are read once in a command, a write in the
command is seen by its next read, and the next command reads afresh (changes by anyone are seen)."""

from __future__ import annotations

from fxbot.chat.command_scope import command_scope
from fxbot.domain.access import Scope
from fxbot.services.chat_reads import chat_binding, stored_key
from fxbot.services.chat_settings import SettingsService
from fxbot.storage import Storage
from tests.fakes.statement_counter import StatementCounter


async def test_settings_are_read_once_per_command(storage: Storage) -> None:
    service = SettingsService(storage=storage)
    statements = StatementCounter(storage.db)
    with command_scope():
        assert await service.timezone("c") == "UTC"
        await service.get("c")
        await service.timezone("c")
    assert statements.reads_of("chat_settings") == 1
    with command_scope():
        await service.timezone("c")
    assert statements.reads_of("chat_settings") == 2  # the next command reads again


async def test_a_write_in_the_command_is_seen_by_its_next_read(storage: Storage) -> None:
    service = SettingsService(storage=storage)
    with command_scope():
        assert await service.timezone("c") == "UTC"
        await service.set_timezone("c", "Asia/Tokyo")
        assert await service.timezone("c") == "Asia/Tokyo"
        await service.set_confirm("c", "never")
        assert (await service.get("c")).confirm_mode == "never"


async def test_a_change_by_someone_else_is_seen_by_the_next_command(storage: Storage) -> None:
    service = SettingsService(storage=storage)
    with command_scope():
        assert await service.timezone("c") == "UTC"
    await storage.settings.set_timezone("c", "Europe/Berlin")  # another process, straight to the database
    with command_scope():
        assert await service.timezone("c") == "Europe/Berlin"


async def test_binding_and_key_are_read_once_and_a_rebinding_is_seen_next_command(storage: Storage) -> None:
    first = await storage.keys.add("u", "first", "sk_live_first_secret_0001", Scope.TRADE)
    second = await storage.keys.add("u", "second", "sk_live_second_secret_002", Scope.READ_ONLY)
    await storage.bindings.bind("c", first.id, bound_by="u")
    statements = StatementCounter(storage.db)
    with command_scope():
        for _ in range(3):
            binding = await chat_binding(storage, "c")
            assert binding is not None and binding.key_id == first.id
            key = await stored_key(storage, binding.key_id)
            assert key is not None and key.scope is Scope.TRADE
    assert statements.reads_of("chat_bindings") == 1 and statements.reads_of("api_keys") == 1
    await storage.bindings.bind("c", second.id, bound_by="u")
    with command_scope():
        binding = await chat_binding(storage, "c")
        assert binding is not None and binding.key_id == second.id


async def test_outside_a_command_every_read_goes_to_storage(storage: Storage) -> None:
    service = SettingsService(storage=storage)
    statements = StatementCounter(storage.db)
    await service.timezone("c")
    await service.timezone("c")
    assert statements.reads_of("chat_settings") == 2
