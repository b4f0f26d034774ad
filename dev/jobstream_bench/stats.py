"""Medians, spreads and percentiles of repeated measurements, and interleaved repetition.

Every comparison in the bench runs its contenders alternately within one loop (A, B, B, A, ...,
the order shuffled per round), so a machine that slows down mid-run (other processes, thermal
limits) slows every contender alike instead of whichever ran last.
"""

from __future__ import annotations

import math
import random
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Summary:
    """Median of repeated measurements with their spread (lowest and highest)."""

    median: float
    low: float
    high: float
    count: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Summary:
        if not values:
            raise ValueError("no values to summarise")
        return cls(
            median=statistics.median(values), low=min(values), high=max(values), count=len(values)
        )


def percentile(values: Sequence[float], pct: float) -> float:
    """The ``pct``-th percentile (nearest rank on the sorted values; exact, no interpolation)."""
    if not values:
        raise ValueError("no values")
    if not 0 <= pct <= 100:
        raise ValueError("pct must be within 0..100")
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def interleaved(
    contenders: Mapping[str, Callable[[], float]],
    *,
    rounds: int,
    seed: int = 0,
) -> dict[str, list[float]]:
    """Run each contender once per round, in a shuffled order, ``rounds`` times.

    Each callable performs one repetition and returns its figure (e.g. events/s).
    """
    rng = random.Random(seed)
    names = list(contenders)
    results: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(rounds):
        rng.shuffle(names)
        for name in names:
            results[name].append(contenders[name]())
    return results


def rate(count: int, work: Callable[[], object]) -> float:
    """``count`` divided by the seconds ``work()`` took (items per second)."""
    started = time.perf_counter()
    work()
    elapsed = time.perf_counter() - started
    return count / elapsed if elapsed > 0 else math.inf
