"""What the copy-instead-of-validate tests of the /v1 mapping share: odd wire values, and the check that a copied
port value is the one the port's own validation gives."""

from __future__ import annotations

import math
import pickle
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import strategies as st

from fxbot.domain.broker.models import BrokerModel

numbers = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**15, 10**15),
                    st.sampled_from([0, -0.0, 1e-12, 1e300, "1.25", "-3", "1e3"]))
zones = st.sampled_from([None, UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-11))])
moments = st.builds(lambda d, z: d.replace(tzinfo=z), st.datetimes(min_value=datetime(1971, 1, 2),
                                                                     max_value=datetime(2200, 1, 1)), zones)
times = st.one_of(moments, moments.map(lambda d: d.isoformat()), st.integers(0, 4_000_000_000))
texts = st.text(max_size=12)


def same(a: object, b: object) -> bool:
    """Equal and of one type, NaN equal to NaN."""
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    return type(a) is type(b) and a == b


def assert_copied_equals_validated(fast: BrokerModel, slow: BrokerModel) -> None:
    """`fast` (copied from a validated wire value) is `slow` (validated by the port model) in every respect."""
    model = type(slow)
    assert type(fast) is model and fast.model_fields_set == slow.model_fields_set
    assert set(fast.__dict__) == set(slow.__dict__) == set(model.model_fields)
    for name in model.model_fields:
        assert same(getattr(fast, name), getattr(slow, name)), name
    assert fast.model_extra is None and fast.__pydantic_private__ is None
    assert repr(fast) == repr(slow)
    if not any(isinstance(v, float) and math.isnan(v) for v in slow.__dict__.values()):
        assert fast == slow and hash(fast) == hash(slow)
        assert fast.model_dump() == slow.model_dump() and fast.model_dump_json() == slow.model_dump_json()
        assert pickle.loads(pickle.dumps(fast)) == slow
        assert model.model_validate(fast.model_dump()) == slow
