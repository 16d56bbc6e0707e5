"""Registry rules: names, aliases, duplicates, lookups, suggestions and generated help."""

from __future__ import annotations

import pytest

from fxbot.chat.arguments import ArgKind, Argument, BoundArgs
from fxbot.chat.registry import CommandRegistry, CommandSpec, Permission
from fxbot.chat.types import Reply, ReplyKind
from fxbot.domain.access import Role, Scope

from .fakes import build_registry


async def _noop(ctx: object, args: BoundArgs) -> Reply:
    return Reply()


def make(name: str, aliases: tuple[str, ...] = (), **extra: object) -> CommandSpec[object]:
    fields: dict[str, object] = dict(name=name, aliases=aliases, summary=f"{name} things", usage=f"/{name}",
                                     examples=(), arguments=(), permission=Permission(None, Role.VIEWER),
                                     handler=_noop)
    fields.update(extra)
    return CommandSpec(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["", "Buy", "buy-now", "x" * 33, "kauf€", "buy now"])
def test_bad_names_rejected(name: str) -> None:
    with pytest.raises(ValueError, match="must be 1-32 characters"):
        make(name, usage=f"/{name}")


def test_bad_alias_rejected() -> None:
    with pytest.raises(ValueError, match="must be 1-32 characters"):
        make("buy", aliases=("B",))


def test_longest_name_allowed() -> None:
    assert make("a" * 32).name == "a" * 32


def test_summary_length_and_usage_prefix() -> None:
    with pytest.raises(ValueError, match="summary must be 1-256"):
        make("buy", summary="x" * 257)
    with pytest.raises(ValueError, match="usage must start with /buy"):
        make("buy", usage="/sell X")


def test_examples_must_parse_as_the_command() -> None:
    with pytest.raises(ValueError, match="is not an example of /buy"):
        make("buy", examples=("/sell EURUSD 1",))
    with pytest.raises(ValueError, match="does not parse"):
        make("buy", examples=('/buy "EURUSD',))
    assert make("buy", aliases=("b",), examples=("/b EURUSD",)).examples == ("/b EURUSD",)


def test_argument_order_rules() -> None:
    with pytest.raises(ValueError, match="must be the last positional"):
        make("w", arguments=(Argument("s", ArgKind.SYMBOLS), Argument("n", ArgKind.POSITIVE_INT)))
    with pytest.raises(ValueError, match="follows an optional one"):
        make("w", arguments=(Argument("a", ArgKind.TEXT, required=False), Argument("b", ArgKind.TEXT)))
    with pytest.raises(ValueError, match="argument names repeat"):
        make("w", arguments=(Argument("a", ArgKind.TEXT), Argument("a", ArgKind.TEXT, keyword=True)))


def test_duplicate_names_and_aliases_rejected() -> None:
    registry: CommandRegistry[object] = CommandRegistry()
    registry.register(make("buy", aliases=("b",)))
    with pytest.raises(ValueError, match="/buy is already registered"):
        registry.register(make("buy"))
    with pytest.raises(ValueError, match="/b is already registered \\(by /buy\\)"):
        registry.register(make("bid", aliases=("b",)))
    with pytest.raises(ValueError, match="alias repeats"):
        registry.register(make("sell", aliases=("sell",)))
    with pytest.raises(ValueError, match="alias repeats"):
        registry.register(make("sell", aliases=("s", "s")))
    assert [s.name for s in registry.all()] == ["buy"]


def test_get_by_name_alias_case_and_slash() -> None:
    registry = build_registry()
    assert registry.get("buy") is registry.get("B") is registry.get("/BUY")
    assert registry.get("nope") is None


def test_all_keeps_registration_order() -> None:
    names = [s.name for s in build_registry().all()]
    assert names == ["buy", "positions", "close", "boom", "fail", "link", "quiet"]


@pytest.mark.parametrize(("typed", "expected"), [
    ("byu", "buy"), ("posiitons", "positions"), ("pos", "positions"), ("clos", "close"), ("lnk", "link"),
    ("zzzz", None), ("", None),
])
def test_suggest(typed: str, expected: str | None) -> None:
    assert build_registry().suggest(typed) == expected


def test_permission_needs_binding_with_scope() -> None:
    with pytest.raises(ValueError, match="needs the chat's binding"):
        Permission(Scope.TRADE, Role.TRADER, needs_binding=False)
    assert Permission(None, Role.VIEWER, needs_binding=False).needs_key is False


def test_permission_in_words() -> None:
    assert Permission(None, Role.VIEWER).describe() == "anyone in the chat; no key needed"
    assert Permission(Scope.TRADE, Role.TRADER, private_only=True).describe() == (
        "the trader role or higher; a trade key or a full one bound to the chat; private chat only")
    assert Permission(Scope.READ_ONLY, Role.VIEWER).describe() == (
        "anyone in the chat; a key bound to the chat (read-only is enough)")
    assert Permission(Scope.FULL, Role.ADMIN).describe() == (
        "the admin role or higher; a full key bound to the chat")


def test_help_text_for_one_command() -> None:
    reply = build_registry().help_text("b")
    assert reply.title == "/buy"
    assert reply.text[0] == "Buy at market"
    assert "usage: /buy SYMBOL VOLUME [sl=PRICE|PIPSp]" in reply.text
    assert "  VOLUME — lots, e.g. 0.10" in reply.text
    assert "examples: /buy EURUSD 0.10 sl=20p" in reply.text
    assert "also: /b" in reply.text
    assert "needs: the trader role or higher; a trade key or a full one bound to the chat" in reply.text
    assert "this command changes things and is recorded in the audit log" in reply.text


def test_help_text_unknown_command() -> None:
    reply = build_registry().help_text("byu")
    assert reply.kind is ReplyKind.ERROR
    assert reply.text == ("there is no command /byu — did you mean /buy? /help lists commands",)


def test_overview_groups_by_category_in_order() -> None:
    reply = build_registry().overview()
    assert reply.title == "Commands"
    assert reply.text[:4] == ("trading:", "  /buy — Buy at market", "  /close — Close a position", "account:")
    assert reply.text[-1] == "/help COMMAND shows the details of one command"
    filtered = build_registry().overview(lambda spec: spec.name == "close")
    assert filtered.text == ("trading:", "  /close — Close a position",
                             "/help COMMAND shows the details of one command")
