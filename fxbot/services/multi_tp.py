"""Multi-TP orders, free of I/O: `tp=20p,40p,60p` (equal split) or `tp=20p:50%,40p:30%,60p:20%` as legs.

An order with several take profits is sent as several positions (one order per leg, each with the same stop
and its own take profit): the broker closes each leg at its target by itself, so nothing depends on the bot
running, and /positions shows every leg with what is left of the plan.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from fxbot.errors import UsageError
from fxbot.services.pretrade import StopInput
from fxbot.services.risk_sizing import VolumeLimits

MULTI_TP_USAGE = "/buy SYMBOL VOLUME sl=PRICE|PIPSp tp=20p,40p,60p | tp=20p:50%,40p:30%,60p:20%"
MULTI_TP_EXAMPLE = "/buy EURUSD 0.3 sl=20p tp=20p,40p,60p"
MAX_LEGS = 5
_SHARE = re.compile(r"(?P<n>\d+(?:\.\d+)?)%", re.ASCII)
_EPS = 1e-9


@dataclass(frozen=True, slots=True)
class TpLeg:
    """One take profit of a multi-TP order and its share of the volume (percent)."""

    stop: StopInput
    share: float


def parse_take_profits(text: str, read_level: Callable[[str], StopInput]) -> tuple[TpLeg, ...]:
    """The legs of `tp=`: one level (one leg, 100%), levels split equally, or levels with `:SHARE%` that add up
    to 100%. `read_level` reads one level (a price or pips) and raises UsageError when it is wrong."""
    parts = [part.strip() for part in text.split(",")]
    if len(parts) == 1 and ":" not in parts[0]:
        return (TpLeg(read_level(parts[0]), 100.0),)
    if any(not part for part in parts):
        raise UsageError(f"tp '{text[:40]}' has an empty level — separate levels with commas: tp=20p,40p,60p",
                         usage=MULTI_TP_USAGE, example=MULTI_TP_EXAMPLE)
    if len(parts) > MAX_LEGS:
        raise UsageError(f"at most {MAX_LEGS} take profits, got {len(parts)}", usage=MULTI_TP_USAGE,
                         example=MULTI_TP_EXAMPLE)
    with_share = [":" in part for part in parts]
    if any(with_share) and not all(with_share):
        raise UsageError("give a share to every take profit or to none (none: equal parts)", usage=MULTI_TP_USAGE,
                         example="/buy EURUSD 0.3 sl=20p tp=20p:50%,40p:30%,60p:20%")
    legs: list[TpLeg] = []
    for part in parts:
        level_text, _, share_text = part.partition(":")
        level = read_level(level_text.strip())
        if share_text:
            match = _SHARE.fullmatch(share_text.strip())
            if match is None or float(match.group("n")) <= 0:
                raise UsageError(f"share '{share_text[:16]}' of tp {level_text} must be a percentage above 0 "
                                 "(50%)", usage=MULTI_TP_USAGE, example="/buy EURUSD 0.3 sl=20p tp=20p:50%,40p:50%")
            share = float(match.group("n"))
        else:
            share = 100.0 / len(parts)
        legs.append(TpLeg(level, share))
    total = sum(leg.share for leg in legs)
    if abs(total - 100.0) > 1e-6:
        raise UsageError(f"the take-profit shares add up to {total:g}%, not 100%", usage=MULTI_TP_USAGE,
                         example="/buy EURUSD 0.3 sl=20p tp=20p:50%,40p:30%,60p:20%")
    return tuple(legs)


@dataclass(frozen=True, slots=True)
class TpLegFigures:
    """One leg as the card shows it: its take profit (price and pips from the entry) and its lots."""

    tp: float
    tp_pips: float | None
    volume: float


def split_volume(volume: float, legs: tuple[TpLeg, ...], limits: VolumeLimits) -> tuple[float, ...]:
    """Each leg's lots: its share of `volume` in whole steps, rounded down, the steps left over going to the
    first legs; the legs add up to `volume` exactly. A leg below the minimum volume is refused."""
    if limits.step <= 0:
        raise UsageError("the broker reports no volume step for this symbol — use one take profit")
    total_steps = round(volume / limits.step)
    steps = [math.floor(total_steps * leg.share / 100.0 + _EPS) for leg in legs]
    left = total_steps - sum(steps)
    for index in range(left):
        steps[index % len(steps)] += 1
    decimals = max(0, -math.floor(math.log10(limits.step)) + 2)
    volumes = tuple(round(count * limits.step, decimals) for count in steps)
    smallest = min(volumes)
    if smallest < limits.min - _EPS:
        raise UsageError(f"{volume:g} lots split into {len(legs)} take profits gives a leg of {smallest:g}, below the "
                         f"minimum volume {limits.min:g} — use a larger volume or fewer take profits",
                         usage=MULTI_TP_USAGE, example=MULTI_TP_EXAMPLE)
    return volumes
