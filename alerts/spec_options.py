"""The trailing options of `/alert …` (side, once/every/repeat, hysteresis, for/until, tz, anchor, note), one by one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from fxbot.alerts.rules import DEFAULT_ANCHOR_HOUR, MAX_NOTE_LENGTH, Mode, PriceSide
from fxbot.alerts.spec_times import (
    MAX_EXPIRY,
    AlertSpecError,
    is_clock,
    parse_clock,
    parse_duration,
    parse_until,
    parse_zone,
)
from fxbot.domain.redaction import redact_secrets

MAX_REPEAT = timedelta(days=7)
MAX_HYSTERESIS_PIPS = 10_000


class AlertOptions:
    """The trailing options of an /alert command, validated one by one."""

    def __init__(self, tokens: list[str], now: datetime, chat_tz: str | None, *, price: bool) -> None:
        self.side = PriceSide.BID
        self.mode: Mode | None = None
        self.repeat_minutes: int | None = None
        self.hysteresis_pips: float | None = None
        self.expires_at: datetime | None = None
        self.note: str | None = None
        self.anchor_tz: str | None = None
        self.anchor: tuple[int, int] = (DEFAULT_ANCHOR_HOUR, 0)
        self.anchor_set = False
        seen: set[str] = set()
        i = 0
        while i < len(tokens):
            word = tokens[i].lower()
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            group = {"bid": "side", "ask": "side", "mid": "side", "once": "mode", "every": "mode",
                     "repeat": "mode", "for": "expiry", "until": "expiry"}.get(word, word)
            if group in seen:
                raise AlertSpecError(f"{tokens[i]!r}: the {group} is given twice")
            seen.add(group)
            if word in ("bid", "ask", "mid") and price:
                self.side = PriceSide(word)
            elif word in ("once", "every"):
                self.mode = Mode(word)
            elif word == "repeat" and price:
                if nxt is None:
                    raise AlertSpecError("repeat needs an interval, e.g. repeat 5m")
                minutes = int(parse_duration(nxt, "repeat", maximum=MAX_REPEAT).total_seconds() // 60)
                self.mode, self.repeat_minutes = Mode.REPEAT, minutes
                i += 1
            elif word == "hysteresis" and price:
                self.hysteresis_pips = _positive(nxt, "hysteresis (in pips)")
                if self.hysteresis_pips > MAX_HYSTERESIS_PIPS:
                    raise AlertSpecError(f"hysteresis is in pips: at most {MAX_HYSTERESIS_PIPS:,}")
                i += 1
            elif word == "for":
                if nxt is None:
                    raise AlertSpecError("for needs a duration, e.g. for 2h")
                self.expires_at = now + parse_duration(nxt, "for", maximum=MAX_EXPIRY)
                i += 1
            elif word == "until":
                if nxt is None:
                    raise AlertSpecError("until needs a date, e.g. until 2026-12-31")
                clock = tokens[i + 2] if i + 2 < len(tokens) and is_clock(tokens[i + 2]) else None
                zone = ZoneInfo(chat_tz) if chat_tz else ZoneInfo("UTC")
                self.expires_at = parse_until(nxt, clock, zone, now.astimezone(UTC))
                i += 2 if clock else 1
            elif word == "tz" and not price:
                if nxt is None:
                    raise AlertSpecError("tz needs a zone, e.g. tz Europe/London")
                self.anchor_tz = parse_zone(nxt).key
                i += 1
            elif word == "anchor" and not price:
                if nxt is None:
                    raise AlertSpecError("anchor needs a time of day, e.g. anchor 17:00")
                self.anchor, self.anchor_set = parse_clock(nxt, "anchor"), True
                i += 1
            elif word == "note":
                self.note = _note(tokens[i + 1 :])
                break
            else:
                raise AlertSpecError(f"unknown option {tokens[i]!r}; {_known(price)}")
            i += 1

    def account_mode(self, default: Mode) -> Mode:
        return self.mode or default

    @property
    def mode_or_once(self) -> Mode:
        return self.mode or Mode.ONCE


def _known(price: bool) -> str:
    if price:
        return "options are ask, mid, every, repeat 5m, hysteresis 2, for 2h, until 2026-12-31, note …"
    return "options are once, every, for 2h, until 2026-12-31, tz Europe/London, anchor 17:00, note …"


def _positive(text: str | None, what: str) -> float:
    try:
        value = float(text) if text is not None else float("nan")
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise AlertSpecError(f"{what} must be a positive number")
    return value


def _note(tokens: list[str]) -> str:
    text = " ".join(tokens).strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'“”":
        text = text[1:-1].strip()
    text = text.strip("“”\"'").strip()
    if not text:
        raise AlertSpecError('note needs some text, e.g. note "breakout"')
    if len(text) > MAX_NOTE_LENGTH:
        raise AlertSpecError(f"a note must be at most {MAX_NOTE_LENGTH} characters")
    return redact_secrets(text)  # a key pasted into a note is never stored nor shown
