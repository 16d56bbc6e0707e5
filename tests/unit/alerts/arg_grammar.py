"""A hypothesis strategy for `/alert` argument lines: the real grammar, with hostile numbers, durations and dates."""

from __future__ import annotations

from hypothesis import strategies as st

SYMBOLS = st.sampled_from(["EURUSD", "eurusd", "USDJPY", "XAUUSD", "EUR/USD", "NOPE", "XAGUSD"])
CONDITIONS = st.sampled_from(["above", "below", ">", "<", ">=", "<=", "cross", "crosses", "cross up", "cross down",
                              "sideways"])
EXTREMES = st.sampled_from([
    "1e20", "1e308", "1e309", "1e-10", "-1", "0", "-0", "0.0", "nan", "NaN", "inf", "-inf", "Infinity", "1e9",
    "99999999999999999999", "9" * 400, "0." + "0" * 30 + "1", "1_000", "0x10", "１.０９", "٣", "²", "1,0900", "1.",
    ".5", "1e+999999999", "1E-999999999", "1.09000000000000000001", "108.340", "2315.4", "1.0834",
])
PLAUSIBLE = st.decimals(min_value="0.001", max_value="30000", places=3).map(str)
NUMBERS = st.one_of(
    PLAUSIBLE,
    st.sampled_from(["1.0900", "1.08", "150", "2400", "150%", "3%", "9500", "500"]),
    EXTREMES,
    EXTREMES,
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.from_regex(r"\A-?[0-9]{0,25}(\.[0-9]{0,25})?([eE][+-]?[0-9]{1,5})?%?\Z"),
)
DURATIONS = st.one_of(
    st.sampled_from(["0m", "1m", "30m", "2h", "1h30m", "3d", "1w", "99999d", "99999999999999999999", "9" * 400 + "w",
                     "732d", "733d", "7d", "8d", "1.5h", "²", "-5m", "m", "1min", "10080", "10081"]),
    st.from_regex(r"\A([0-9]{1,22}w)?([0-9]{1,22}d)?([0-9]{1,22}h)?([0-9]{1,22}m)?\Z"),
)
DATES = st.sampled_from(["2026-12-31", "2026-04-02 18:00", "0001-01-01 00:00", "9999-12-31", "9999-12-31 23:59",
                         "2030-01-01", "2026-13-45", "yesterday", "2026-04-02 25:00"])
OPTIONS = st.one_of(
    st.sampled_from(["ask", "mid", "bid", "once", "every"]),
    st.sampled_from(["repeat", "for", "until", "hysteresis", "tz", "anchor", "sideways"]),
    DURATIONS.map(lambda d: f"repeat {d}"),
    DURATIONS.map(lambda d: f"for {d}"),
    DATES.map(lambda d: f"until {d}"),
    NUMBERS.map(lambda n: f"hysteresis {n}"),
    st.sampled_from(["tz Europe/London", "tz Mars/Olympus", "anchor 17:00", "anchor 99:99",
                     'note "breakout"', "note sk_live_abcdefghijklmnop", "note " + "x" * 250]),
)
PRICE_LINES = st.builds(
    lambda symbol, condition, level, options: " ".join([symbol, condition, level, *options]),
    SYMBOLS, CONDITIONS, NUMBERS, st.lists(OPTIONS, max_size=3),
)
ACCOUNT_LINES = st.builds(
    lambda head, op, amount, options: " ".join([head, op, amount, *options]),
    st.sampled_from(["margin", "freemargin", "free margin", "equity", "drawdown", "dd"]),
    st.sampled_from(["<", ">", ""]),
    NUMBERS,
    st.lists(OPTIONS, max_size=2),
)
ALERT_LINES = st.one_of(PRICE_LINES, ACCOUNT_LINES)
"""What follows `/alert`: a price or account alert, often malformed, never a del/pause/resume."""
KNOWN_CRASHERS = ("EURUSD above 1e20", "EURUSD above 1e308", "EURUSD above 1e-10", "EURUSD above 1.1 for 99999999d",
                  "EURUSD above 1.1 repeat 99999999999999999999", "EURUSD above 1.1 hysteresis 1e300",
                  "EURUSD above 1.1 until 9999-12-31 23:59", "EURUSD above 1.1 for " + "9" * 290)
"""Lines that once ended in the generic apology (OverflowError, ValueError): always part of the fuzzing."""
