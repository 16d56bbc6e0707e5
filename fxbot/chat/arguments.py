"""Binding a parsed command's text to its declared typed arguments, with specific usage errors."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Protocol

from fxbot.chat.argument_types import ArgKind, Argument, BoundArgs, PriceOrPips
from fxbot.chat.argument_values import TIMEFRAMES, convert_value, shown
from fxbot.chat.parser import ParsedCommand
from fxbot.chat.symbols import SymbolResolver
from fxbot.errors import UsageError

__all__ = [
    "TIMEFRAMES",
    "ArgKind",
    "Argument",
    "ArgumentSpec",
    "BoundArgs",
    "PriceOrPips",
    "bind_arguments",
]


class ArgumentSpec(Protocol):
    """What binding needs from a command declaration (CommandSpec satisfies it)."""

    @property
    def name(self) -> str: ...

    @property
    def usage(self) -> str: ...

    @property
    def examples(self) -> tuple[str, ...]: ...

    @property
    def arguments(self) -> tuple[Argument, ...]: ...


def bind_arguments(
    spec: ArgumentSpec, parsed: ParsedCommand, known_symbols: Collection[str] | SymbolResolver
) -> BoundArgs:
    """Convert `parsed` into the values `spec` declares; raises UsageError naming what was wrong,
    with the command's usage and first example attached."""
    resolver = known_symbols if isinstance(known_symbols, SymbolResolver) else SymbolResolver(known_symbols)
    try:
        return _Binder(spec, parsed, resolver).bind()
    except UsageError as error:
        example = spec.examples[0] if spec.examples else None
        raise UsageError(error.message, usage=spec.usage, example=example) from None


class _Binder:
    def __init__(self, spec: ArgumentSpec, parsed: ParsedCommand, resolver: SymbolResolver) -> None:
        self.spec = spec
        self.resolver = resolver
        self.tokens = list(parsed.args)
        self.options = dict(parsed.options)
        self.values: dict[str, object] = {}

    def bind(self) -> BoundArgs:
        self._reject_unknown_options()
        positional = [a for a in self.spec.arguments if not a.keyword]
        for index, arg in enumerate(positional):
            if arg.name in self.options:
                self.values[arg.name] = self._from_option(arg)
            elif arg.variadic:
                self.values[arg.name] = self._symbols(arg)
            elif arg.kind is ArgKind.TEXT and index == len(positional) - 1 and self.tokens:
                self.values[arg.name] = convert_value(arg, " ".join(self.tokens), self.resolver)
                self.tokens = []
            elif self.tokens:
                self.values[arg.name] = self._take_one(arg)
            else:
                self.values[arg.name] = self._missing(arg)
        if self.tokens:
            raise UsageError(self._too_many(positional))
        for arg in self.spec.arguments:
            if arg.keyword:
                given = arg.name in self.options
                self.values[arg.name] = self._from_option(arg) if given else self._missing(arg)
        return BoundArgs(self.values)

    def _reject_unknown_options(self) -> None:
        declared = {a.name for a in self.spec.arguments}
        unknown = sorted(set(self.options) - declared)
        if not unknown:
            return
        keywords = [a.display for a in self.spec.arguments if a.keyword]
        accepted = f"it accepts {' '.join(keywords)}" if keywords else "it takes no name=value options"
        raise UsageError(f"unknown option {shown(unknown[0])}= for /{self.spec.name} — {accepted}")

    def _from_option(self, arg: Argument) -> object:
        text = self.options[arg.name]
        if arg.variadic:
            return self._collect_symbols(arg, [part for part in text.split(",") if part], text)
        return convert_value(arg, text, self.resolver)

    def _take_one(self, arg: Argument) -> object:
        token = self.tokens.pop(0)
        if arg.kind is ArgKind.SYMBOL and self.resolver.resolve(token) is None and self.tokens:
            joined = token + self.tokens[0]  # "/buy eur usd 0.1"
            if self.resolver.resolve(joined) is not None:
                self.tokens.pop(0)
                return convert_value(arg, joined, self.resolver)
        return convert_value(arg, token, self.resolver)

    def _symbols(self, arg: Argument) -> object:
        parts = [part for token in self.tokens for part in token.split(",") if part]
        self.tokens = []
        return self._collect_symbols(arg, parts, " ".join(parts))

    def _collect_symbols(self, arg: Argument, parts: Sequence[str], text: str) -> object:
        found: list[str] = []
        i = 0
        while i < len(parts):
            symbol = self.resolver.resolve(parts[i])
            if symbol is None and i + 1 < len(parts):
                symbol = self.resolver.resolve(parts[i] + parts[i + 1])
                if symbol is not None:
                    i += 1
            if symbol is None:
                convert_value(arg, parts[i], self.resolver)  # raises the specific "unknown symbol" message
            elif symbol not in found:
                found.append(symbol)
            i += 1
        if not found:
            return self._missing(arg)
        if arg.max is not None and len(found) > arg.max:
            raise UsageError(f"at most {arg.max:g} symbols at once, got {len(found)}")
        return tuple(found)

    def _missing(self, arg: Argument) -> object:
        if arg.required:
            hint = f" ({arg.help})" if arg.help else ""
            raise UsageError(f"missing {arg.display}{hint}")
        if arg.variadic and arg.default is None:
            return ()
        return arg.default

    def _too_many(self, positional: list[Argument]) -> str:
        extra = shown(self.tokens[0])
        keywords = [a.display + "…" for a in self.spec.arguments if a.keyword]
        options = f" (options go as {' '.join(keywords)})" if keywords else ""
        if not positional:
            return f"too many arguments: '{extra}' — /{self.spec.name} takes no arguments{options}"
        names = " ".join(a.display for a in positional)
        count = len(positional)
        plural = "argument" if count == 1 else "arguments"
        takes = f"takes at most {count} {plural}: {names}{options}"
        return f"too many arguments: '{extra}' — /{self.spec.name} {takes}"
