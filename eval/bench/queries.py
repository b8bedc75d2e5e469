"""Query latency: our retrieval and extractive answers beside the baseline's, alternating.

Each is clocked in wall time and in this process's CPU time (all threads): the latter barely
moves with the machine's load, so it shows the work done even on a busy machine.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eval.bench.config import store_settings
from eval.stats import ms, percentile, timed


def bench_queries(store_dir: Path, baseline, questions: list[str], rounds: int) -> dict:
    from eval.baseline import TOP_K
    from rag import factory

    pipe = factory.pipeline(store_settings(store_dir), "extractive")
    first, _ = timed(lambda: pipe.retriever.retrieve(questions[0]))
    base_retriever = baseline.index.as_retriever(similarity_top_k=TOP_K)
    base_retriever.retrieve(questions[0])
    ours_r, base_r, ours_x, base_x, first_pass = [], [], [], [], []
    cpu: dict[str, list[float]] = {"ours_r": [], "base_r": [], "ours_x": []}

    def clock(call: Callable[[], Any], wall: list[float], key: str | None = None) -> None:
        started = time.process_time()
        wall.append(timed(call)[0])
        if key:
            cpu[key].append(time.process_time() - started)

    for _ in range(rounds):
        for question in questions:
            clock(lambda q=question: pipe.retriever.retrieve(q), ours_r, "ours_r")
            clock(lambda q=question: base_retriever.retrieve(q), base_r, "base_r")
    for round_ in range(2):
        for question in questions:
            clock(lambda q=question: pipe.ask(q), ours_x, "ours_x")
            if round_ == 0:
                first_pass.append(ours_x[-1])
            clock(lambda q=question: baseline.ask(q), base_x)
    return {
        "first_retrieve_ms": ms(first),
        "retrieve_p50_ms": ms(percentile(ours_r, 50)),
        "retrieve_p95_ms": ms(percentile(ours_r, 95)),
        "baseline_retrieve_p50_ms": ms(percentile(base_r, 50)),
        "baseline_retrieve_p95_ms": ms(percentile(base_r, 95)),
        "extractive_p50_ms": ms(percentile(ours_x, 50)),
        "extractive_p95_ms": ms(percentile(ours_x, 95)),
        "extractive_first_pass_p50_ms": ms(percentile(first_pass, 50)),
        "baseline_extractive_p50_ms": ms(percentile(base_x, 50)),
        "retrieve_cpu_p50_ms": ms(percentile(cpu["ours_r"], 50)),
        "baseline_retrieve_cpu_p50_ms": ms(percentile(cpu["base_r"], 50)),
        "extractive_cpu_p50_ms": ms(percentile(cpu["ours_x"], 50)),
        "queries_per_side": len(ours_r),
    }
