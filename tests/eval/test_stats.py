"""The numbers the evaluation and the benchmarks share: one percentile, rounding, timing."""

from __future__ import annotations

import pytest

from eval import metrics
from eval.stats import ms, percentile, rounded, timed


def test_percentile_of_nothing_is_none():
    assert percentile([], 50) is None
    assert percentile([], 95) is None


def test_percentile_of_one_value_is_that_value():
    assert percentile([7.0], 0) == percentile([7.0], 50) == percentile([7.0], 95) == 7.0


def test_percentile_of_many_interpolates_between_ranks():
    assert percentile([4, 1, 3, 2], 50) == 2.5  # unsorted input
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 50) == 3.0
    assert percentile([10.0, 20.0], 95) == pytest.approx(19.5)
    assert percentile(list(range(21)), 95) == 19.0
    assert percentile([3, 1, 2], 0) == 1 and percentile([3, 1, 2], 100) == 3


def test_the_metrics_module_still_names_it():
    assert metrics.percentile is percentile


def test_rounding_and_milliseconds_keep_none():
    assert ms(None) is None and rounded(None) is None
    assert ms(0.0123456) == 12.35
    assert ms(0.0123456, 1) == 12.3
    assert rounded(2 / 3) == 0.667


def test_timed_returns_seconds_and_the_result():
    seconds, result = timed(lambda: sum(range(1000)))
    assert result == 499500
    assert 0 <= seconds < 1
