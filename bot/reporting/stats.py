"""p50 / p90 / max of a list of durations, by nearest rank (so a figure can be checked by hand)."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Summary:
    count: int
    p50: float | None
    p90: float | None
    max: float | None

    def as_dict(self) -> dict:
        return {"count": self.count, "p50": self.p50, "p90": self.p90, "max": self.max}


def nearest_rank(ordered: list[float], p: float) -> float:
    """The smallest value with at least p of the values at or below it."""
    return ordered[max(0, math.ceil(p * len(ordered)) - 1)]


def summarise(values: Iterable[float]) -> Summary:
    ordered = sorted(round(v, 3) for v in values)
    if not ordered:
        return Summary(0, None, None, None)
    return Summary(len(ordered), nearest_rank(ordered, 0.5), nearest_rank(ordered, 0.9), ordered[-1])


def grouped(rows: Iterable[tuple[str, float]]) -> dict[str, Summary]:
    """Summaries per key, keys sorted."""
    groups: dict[str, list[float]] = defaultdict(list)
    for key, value in rows:
        groups[key if key is not None else ""].append(value)
    return {key: summarise(groups[key]) for key in sorted(groups)}
