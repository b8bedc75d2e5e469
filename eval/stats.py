"""Numbers the evaluation and the benchmarks share: percentiles, rounding, timing."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import Any


def percentile(values: Sequence[float], p: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default method); None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * p / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def rounded(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def ms(seconds: float | None, digits: int = 2) -> float | None:
    """Seconds as rounded milliseconds (None stays None)."""
    return None if seconds is None else round(seconds * 1000, digits)


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    """(seconds the call took, its result)."""
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result
