"""How sure a figure is: 95% bootstrap intervals over the questions, per metric, per kind of
question, and paired between two runs of the same set (with 30-50 questions a change of 0.05
is often noise; a paired interval that excludes 0 says it is not)."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence

from eval.metrics import METRICS, aggregate
from eval.stats import percentile

RESAMPLES = 1000


def intervals(records: Sequence[dict], resamples: int = RESAMPLES, seed: int = 0) -> dict:
    """metric -> [low, high], the 2.5th and 97.5th percentiles over resampled question sets."""
    samples: dict[str, list[float]] = defaultdict(list)
    for draw in _draws(len(records), resamples, seed):
        for name, value in _metrics([records[i] for i in draw]).items():
            if value is not None:
                samples[name].append(value)
    return {name: _interval(samples[name]) for name in METRICS}


def by_kind(records: Sequence[dict]) -> dict[str, dict]:
    """kind -> {"questions": n, **metrics} for each kind of question in the set."""
    kinds: dict[str, list[dict]] = defaultdict(list)
    for record in records:
        kinds[record.get("kind") or "unlabelled"].append(record)
    return {
        kind: {"questions": len(group), **_metrics(group)} for kind, group in sorted(kinds.items())
    }


def paired(
    new: Sequence[dict], old: Sequence[dict], resamples: int = RESAMPLES, seed: int = 0
) -> dict[str, dict]:
    """metric -> {delta, low, high, real}: new - old over the questions both runs asked, with
    its interval when the same questions are resampled for both; `real` if it excludes 0."""
    earlier = {r["id"]: r for r in old}
    pairs = [(r, earlier[r["id"]]) for r in new if r["id"] in earlier]
    point = _differences(pairs)
    samples: dict[str, list[float]] = defaultdict(list)
    for draw in _draws(len(pairs), resamples, seed):
        for name, value in _differences([pairs[i] for i in draw]).items():
            samples[name].append(value)
    result = {}
    for name in METRICS:
        low, high = _interval(samples[name]) or (None, None)
        real = low is not None and high is not None and (low > 0 or high < 0)
        result[name] = {"delta": point.get(name), "low": low, "high": high, "real": real}
    return result


def changed(new: Sequence[dict], old: Sequence[dict]) -> dict[str, list[str]]:
    """Question ids that pass now and failed before (fixed), and the other way (broken)."""
    earlier = {r["id"]: bool(r["failed"]) for r in old}
    return {
        "fixed": [r["id"] for r in new if earlier.get(r["id"]) is True and not r["failed"]],
        "broken": [r["id"] for r in new if earlier.get(r["id"]) is False and r["failed"]],
    }


def comparable(records: Sequence[dict]) -> bool:
    """Records written by this version of `rag eval` (older reports lack some outcomes)."""
    return all("answerable" in r["outcomes"] and "sentences" in r["outcomes"] for r in records)


def _metrics(records: Sequence[dict]) -> dict:
    return aggregate([r["outcomes"] for r in records], [r["latency_ms"] for r in records])


def _differences(pairs: Sequence[tuple[dict, dict]]) -> dict[str, float]:
    new = _metrics([n for n, _ in pairs])
    old = _metrics([o for _, o in pairs])
    return {
        name: new[name] - old[name]
        for name in METRICS
        if new.get(name) is not None and old.get(name) is not None
    }


def _draws(n: int, resamples: int, seed: int) -> list[list[int]]:
    rng = random.Random(seed)
    return [[rng.randrange(n) for _ in range(n)] for _ in range(resamples)] if n else []


def _interval(values: list[float]) -> list[float] | None:
    if not values:
        return None
    low, high = percentile(values, 2.5), percentile(values, 97.5)
    return [round(low, 4), round(high, 4)]
