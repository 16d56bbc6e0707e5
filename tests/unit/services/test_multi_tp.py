"""Multi-TP arithmetic: take-profit legs from tp= and the volume split into whole steps that add up."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fxbot.errors import UsageError
from fxbot.services.multi_tp import TpLeg, parse_take_profits, split_volume
from fxbot.services.pretrade import PlainStop, StopInput
from fxbot.services.risk_sizing import VolumeLimits

TABLE = VolumeLimits(0.01, 0.01, 100)


def _level(text: str) -> StopInput:
    return PlainStop(float(text.rstrip("p")), in_pips=text.endswith("p"))


def test_one_level_is_one_leg() -> None:
    assert parse_take_profits("40p", _level) == (TpLeg(PlainStop(40, True), 100.0),)


def test_equal_and_explicit_shares() -> None:
    equal = parse_take_profits("20p,40p,60p", _level)
    assert [leg.share for leg in equal] == pytest.approx([100 / 3] * 3)
    explicit = parse_take_profits("20p:50%, 40p:30%, 1.1:20%", _level)
    assert [(leg.stop.value, leg.share) for leg in explicit] == [(20, 50), (40, 30), (1.1, 20)]


def test_split_rounds_down_and_gives_the_leftover_steps_to_the_first_legs() -> None:
    legs = parse_take_profits("20p,40p,60p", _level)
    assert split_volume(0.3, legs, TABLE) == (0.1, 0.1, 0.1)
    assert split_volume(0.31, legs, TABLE) == (0.11, 0.1, 0.1)
    assert split_volume(1.0, parse_take_profits("1p:50%,2p:30%,3p:20%", _level), VolumeLimits(0.1, 0.1, 50)) == (
        0.5, 0.3, 0.2)
    with pytest.raises(UsageError, match="below the minimum volume"):
        split_volume(0.02, legs, TABLE)


@given(steps=st.integers(min_value=3, max_value=10_000), count=st.integers(min_value=2, max_value=3))
def test_legs_add_up_to_the_volume(steps: int, count: int) -> None:
    legs = tuple(TpLeg(PlainStop(10.0 * (n + 1), True), 100.0 / count) for n in range(count))
    volume = round(steps * 0.01, 2)
    volumes = split_volume(volume, legs, TABLE)
    assert math.isclose(sum(volumes), volume, abs_tol=1e-9)
    assert max(volumes) - min(volumes) <= 0.01 + 1e-9


@pytest.mark.parametrize(("text", "reason"), [
    ("20p:60%,40p:60%", "add up to 120%"),
    ("20p:50%,40p", "every take profit or to none"),
    ("20p,", "empty level"),
    ("20p:abc,40p:50%", "must be a percentage"),
    ("1p,2p,3p,4p,5p,6p", "at most 5"),
])
def test_bad_take_profits(text: str, reason: str) -> None:
    with pytest.raises(UsageError, match=reason):
        parse_take_profits(text, _level)
