"""Placing the labels of a chart's price levels in a column beside it so that no two overlap (pure layout math)."""

from __future__ import annotations

from collections.abc import Sequence


def spread_labels(wanted: Sequence[float], *, gap: float, low: float, high: float) -> list[float]:
    """Label centres (same order as `wanted`) at least `gap` apart, each group centred on its levels.

    Units are pixels, growing upwards. Labels too close together are spread evenly around the mean of
    their levels; the column is then kept within [low, high] when it has room for them all (when it has
    not, the labels keep their order and spacing and the lowest ones run below `low`)."""
    if gap <= 0:
        raise ValueError("the gap between labels must be positive")
    order = sorted(range(len(wanted)), key=lambda i: (wanted[i], i))
    clusters: list[list[float]] = []  # wanted places of the labels spread as one group, bottom up
    for value in (wanted[i] for i in order):
        clusters.append([value])
        while len(clusters) > 1 and _top(clusters[-2], gap) + gap > _bottom(clusters[-1], gap):
            last = clusters.pop()
            clusters[-1].extend(last)
    placed = [_bottom(cluster, gap) + k * gap for cluster in clusters for k in range(len(cluster))]
    if placed and placed[0] < low:  # keep the column inside the axes: up from the bottom…
        placed[0] = low
        for k in range(1, len(placed)):
            placed[k] = max(placed[k], placed[k - 1] + gap)
    if placed and placed[-1] > high:  # …and down from the top
        placed[-1] = high
        for k in range(len(placed) - 2, -1, -1):
            placed[k] = min(placed[k], placed[k + 1] - gap)
    result = [0.0] * len(wanted)
    for k, i in enumerate(order):
        result[i] = placed[k]
    return result


def _centre(cluster: Sequence[float]) -> float:
    return sum(cluster) / len(cluster)


def _bottom(cluster: Sequence[float], gap: float) -> float:
    return _centre(cluster) - (len(cluster) - 1) * gap / 2


def _top(cluster: Sequence[float], gap: float) -> float:
    return _centre(cluster) + (len(cluster) - 1) * gap / 2
