"""Reading a chat line into a command name, positional arguments and key=value options (no typing yet)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from fxbot.domain.redaction import redact_secrets
from fxbot.errors import ParseError

_NAME = re.compile(r"[a-z0-9_]{1,64}", re.ASCII)
_OPTION = re.compile(r"([A-Za-z][A-Za-z0-9_]*)=(.*)", re.ASCII | re.DOTALL)
# Typographic quotes from phone keyboards count as quotes too.
_QUOTES = {'"': '"', "'": "'", "“": "”", "”": "”", "‘": "’", "’": "’", "«": "»"}


@dataclass(frozen=True, slots=True)
class ParsedCommand:
    """A command line split into parts; values are still text (the typed layer converts them)."""

    name: str
    args: tuple[str, ...] = ()
    options: dict[str, str] = field(default_factory=dict)
    mention: str | None = None
    raw: str = ""


@dataclass(frozen=True, slots=True)
class _Token:
    text: str
    plain_prefix: int  # how many leading characters were not inside quotes

    def as_option(self) -> tuple[str, str] | None:
        """(key, value) when the token is key=value with an unquoted key, else None."""
        match = _OPTION.fullmatch(self.text)
        if match is None or len(match.group(1)) >= self.plain_prefix:
            return None
        return match.group(1).lower(), match.group(2)


def parse(text: str) -> ParsedCommand | None:
    """The command in `text`, or None when the text is not a command (no leading "/").

    Raises ParseError (never anything else) when it is a command that cannot be read.
    """
    stripped = text.lstrip()
    if not stripped.startswith("/"):
        return None
    tokens = _tokenize(stripped)
    head = tokens[0].text if tokens else "/"
    name, mention = _split_head(head)
    args: list[str] = []
    options: dict[str, str] = {}
    for token in tokens[1:]:
        option = token.as_option()
        if option is None:
            args.append(token.text)
            continue
        key, value = option
        if key in options:
            raise ParseError(f"option {key}= is given twice")
        options[key] = value
    return ParsedCommand(name=name, args=tuple(args), options=options, mention=mention, raw=text)


def command_name_of(text: str) -> str | None:
    """The lower-cased command name at the start of `text`, if it has a readable one (no full parse)."""
    stripped = text.lstrip()
    if not stripped.startswith("/"):
        return None
    head = stripped.split(maxsplit=1)[0] if stripped.split() else ""
    candidate = head[1:].split("@", 1)[0].lower()
    return candidate if _NAME.fullmatch(candidate) else None


def _split_head(head: str) -> tuple[str, str | None]:
    body = head[1:]
    name, _, mention = body.partition("@")
    name = name.lower()
    if not _NAME.fullmatch(name):
        shown = redact_secrets(head if len(head) <= 40 else head[:40] + "…")
        raise ParseError(f"'{shown}' is not a command — commands look like /help")
    return name, (mention or None)


def _tokenize(line: str) -> list[_Token]:
    """Split on whitespace. A quote at the start of a word (or right after "=") groups words until its
    closing quote; inside quotes a backslash escapes the quote or a backslash. Apostrophes inside words
    ("don't") are plain characters."""
    tokens: list[_Token] = []
    current: list[str] = []
    in_token = False
    plain_prefix: int | None = None
    closing: str | None = None
    opened_at = 0
    i = 0
    while i < len(line):
        ch = line[i]
        if closing is not None:
            if ch == "\\" and i + 1 < len(line) and line[i + 1] in (closing, "\\"):
                current.append(line[i + 1])
                i += 2
                continue
            if ch == closing:
                closing = None
            else:
                current.append(ch)
        elif ch.isspace():
            if in_token:
                tokens.append(_finish(current, plain_prefix))
                current, in_token, plain_prefix = [], False, None
        elif ch in _QUOTES and (not in_token or current[-1:] == ["="]):
            closing = _QUOTES[ch]
            if plain_prefix is None:
                plain_prefix = len(current)
            in_token = True
            opened_at = i
        else:
            current.append(ch)
            in_token = True
        i += 1
    if closing is not None:
        snippet = redact_secrets(line[opened_at : opened_at + 20])
        raise ParseError(f"unbalanced quote: {snippet!r} has no closing {closing} — close it or remove it")
    if in_token:
        tokens.append(_finish(current, plain_prefix))
    return tokens


def _finish(chars: list[str], plain_prefix: int | None) -> _Token:
    text = "".join(chars)
    return _Token(text, len(text) if plain_prefix is None else plain_prefix)
