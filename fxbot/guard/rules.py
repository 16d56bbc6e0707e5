"""The guard's limits for one account, how `/guard` arguments set them, and how they are shown."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, fields, replace

from fxbot.errors import UsageError

GUARD_USAGE = ("/guard [daily-loss 3%|300 [warn=80%]] [daily-profit 5%] [max-lots 2] [max-positions 5] "
               "[max-risk 2%] [max-spread 3p] | off | unblock")
DEFAULT_WARN_PERCENT = 80.0
_NUMBER = re.compile(r"\d+(?:\.\d+)?", re.ASCII)


@dataclass(frozen=True, slots=True)
class Amount:
    """A limit as a percentage of the day's start equity or as an amount of the account's currency."""

    value: float
    percent: bool

    def of(self, start_equity: float) -> float:
        """The limit in money for a day that started with `start_equity`."""
        return start_equity * self.value / 100.0 if self.percent else self.value

    def text(self, currency: str = "") -> str:
        if self.percent:
            return f"{self.value:g}%"
        return f"{self.value:,.2f} {currency}".rstrip()


@dataclass(frozen=True, slots=True)
class GuardLimits:
    """Every limit of one account; None: not set."""

    daily_loss: Amount | None = None
    warn_percent: float = DEFAULT_WARN_PERCENT
    daily_profit: Amount | None = None
    max_lots: float | None = None
    max_positions: int | None = None
    max_risk_percent: float | None = None
    max_spread_pips: float | None = None

    @property
    def empty(self) -> bool:
        return self == GuardLimits(warn_percent=self.warn_percent)

    @property
    def acts(self) -> bool:
        """Whether a daily limit is set (the guard watches the account's equity)."""
        return self.daily_loss is not None or self.daily_profit is not None

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> GuardLimits:
        raw = json.loads(text)
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in raw.items() if k in known}
        for name in ("daily_loss", "daily_profit"):
            if isinstance(values.get(name), dict):
                values[name] = Amount(float(values[name]["value"]), bool(values[name]["percent"]))
        return cls(**values)

    def lines(self, currency: str = "") -> list[str]:
        """One line per limit that is set."""
        out = []
        if self.daily_loss is not None:
            out.append(f"daily loss: {self.daily_loss.text(currency)} of the day's start equity "
                       f"(warning at {self.warn_percent:g}%)")
        if self.daily_profit is not None:
            out.append(f"daily profit lock: {self.daily_profit.text(currency)}")
        if self.max_lots is not None:
            out.append(f"max open lots: {self.max_lots:g}")
        if self.max_positions is not None:
            out.append(f"max open positions: {self.max_positions}")
        if self.max_risk_percent is not None:
            out.append(f"max risk per trade: {self.max_risk_percent:g}% of equity (from the stop)")
        if self.max_spread_pips is not None:
            out.append(f"max spread: {self.max_spread_pips:g} pips")
        return out


def _fail(message: str, example: str = "/guard daily-loss 3%") -> UsageError:
    return UsageError(message, usage=GUARD_USAGE, example=example)


def _number(word: str, what: str, example: str) -> float:
    if not _NUMBER.fullmatch(word):
        raise _fail(f"'{word[:24]}' is not a number for {what}", example)
    value = float(word)
    if value <= 0:
        raise _fail(f"{what} must be above zero", example)
    return value


def _amount(word: str, what: str, example: str) -> Amount:
    percent = word.endswith("%")
    value = _number(word[:-1] if percent else word, what, example)
    if percent and value >= 100:
        raise _fail(f"{what} must be under 100%", example)
    return Amount(value, percent)


def _percent(word: str, what: str, example: str, *, top: float = 100.0) -> float:
    if not word.endswith("%"):
        raise _fail(f"{what} is a percentage — write it with %, e.g. {example.split()[-1]}", example)
    value = _number(word[:-1], what, example)
    if value > top:
        raise _fail(f"{what} must be at most {top:g}%", example)
    return value


def apply_setting(limits: GuardLimits, words: list[str]) -> GuardLimits:
    """The limits after one `/guard NAME VALUE [warn=N%]` (UsageError on anything else; nothing changes)."""
    if len(words) < 2:
        name = words[0] if words else ""
        raise _fail(f"'{name[:24]}' needs a value" if name else "say which limit to set")
    name, value, extra = words[0].lower(), words[1].lower(), words[2:]
    if name != "daily-loss" and extra:
        raise _fail(f"'{name}' takes one value")
    if name == "daily-loss":
        example = "/guard daily-loss 3% warn=80%"
        warn = limits.warn_percent
        for word in extra:
            if not word.lower().startswith("warn="):
                raise _fail(f"'{word[:24]}' is not understood after daily-loss — only warn=N%", example)
            warn = _percent(word[5:], "warn=", example, top=99.0)
        return replace(limits, daily_loss=_amount(value, "the daily loss limit", example), warn_percent=warn)
    if name == "daily-profit":
        return replace(limits, daily_profit=_amount(value, "the daily profit lock", "/guard daily-profit 5%"))
    if name == "max-lots":
        return replace(limits, max_lots=_number(value, "max-lots", "/guard max-lots 2"))
    if name == "max-positions":
        example = "/guard max-positions 5"
        if not value.isdigit() or int(value) <= 0:
            raise _fail("max-positions is a whole number above zero", example)
        return replace(limits, max_positions=int(value))
    if name == "max-risk":
        return replace(limits, max_risk_percent=_percent(value, "max-risk", "/guard max-risk 2%"))
    if name == "max-spread":
        example = "/guard max-spread 3p"
        if not value.endswith("p"):
            raise _fail("max-spread is in pips — write it with p, e.g. 3p", example)
        return replace(limits, max_spread_pips=_number(value[:-1], "max-spread", example))
    raise _fail(f"'{name[:24]}' is not a guard limit — use daily-loss, daily-profit, max-lots, max-positions, "
                "max-risk or max-spread")
