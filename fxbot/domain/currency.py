"""Currency conversion through quoted pairs (direct, inverse or via USD), free of any price source."""

from __future__ import annotations

from collections.abc import Callable

MidPrice = Callable[[str], "float | None"]


def rate(from_ccy: str, to_ccy: str, mid: MidPrice) -> float | None:
    """How many `to_ccy` one `from_ccy` is worth, from the mid price of `from+to`, of `to+from`,
    or of both legs through USD; None when no pair links them."""
    src, dst = from_ccy.upper(), to_ccy.upper()
    if src == dst:
        return 1.0
    direct = _pair_rate(src, dst, mid)
    if direct is not None:
        return direct
    if "USD" in (src, dst):
        return None
    to_usd = _pair_rate(src, "USD", mid)
    from_usd = _pair_rate("USD", dst, mid)
    if to_usd is None or from_usd is None:
        return None
    return to_usd * from_usd


def convert(amount: float, from_ccy: str, to_ccy: str, mid: MidPrice) -> float | None:
    """`amount` of `from_ccy` expressed in `to_ccy`, or None when no rate is known.

    `mid(symbol)` answers the current mid price of a six-letter symbol such as "EURUSD" (None if unknown).
    """
    factor = rate(from_ccy, to_ccy, mid)
    return None if factor is None else amount * factor


def _pair_rate(src: str, dst: str, mid: MidPrice) -> float | None:
    direct = mid(src + dst)
    if direct is not None and direct > 0:
        return direct
    inverse = mid(dst + src)
    if inverse is not None and inverse > 0:
        return 1.0 / inverse
    return None
