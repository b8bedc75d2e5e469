"""A whole benchmark run: every size in turn, then the local model, the chat page in Chromium
and the cold starts; and several runs merged into one report."""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from eval.bench.config import BenchConfig, dev_questions, parse_size
from eval.bench.tables import table

BACKENDS = {"extractive", "llamacpp"}
ONCE = ("llamacpp", "llamacpp_ttft_ms", "llamacpp_overhead_ratio", "page", "cold_ask_s")


def run(config: BenchConfig, log: Callable[[str], None] = print) -> dict:
    """Measure every size in `config`; write `bench.json` and `bench.md` (the table) in out."""
    from eval.bench.cold import bench_cold
    from eval.bench.corpus import prepare
    from eval.bench.indexing import bench_index
    from eval.bench.llm import bench_llamacpp
    from eval.bench.machine import load_average, machine
    from eval.bench.queries import bench_queries

    for label in config.sizes:
        parse_size(label)
    unknown = set(config.backends) - BACKENDS
    if unknown:
        raise ValueError(f"bench measures the extractive and llamacpp backends, not {unknown}")
    config.out.mkdir(parents=True, exist_ok=True)
    questions = dev_questions()
    answerable = dev_questions(answerable_only=True)
    result: dict[str, Any] = {"machine": machine(), "config": config.as_dict(), "sizes": {}}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="rag-bench-", ignore_cleanup_errors=True) as tmp:
        work = config.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        corpus_store = None
        for label in sorted(config.sizes, key=lambda s: parse_size(s) or 0):
            log(f"[bench] {label}: preparing")
            corpus = prepare(label, config, work)
            reps = config.reps if corpus.target is None else config.scale_reps
            log(f"[bench] {label}: indexing ({reps} builds per side, alternating)")
            size, store_dir, baseline = bench_index(corpus, reps, work)
            log(f"[bench] {label}: queries")
            size |= bench_queries(store_dir, baseline, questions, config.rounds)
            result["sizes"][label] = size
            del baseline
            if label == "corpus":
                corpus_store = store_dir
            log(f"[bench] {label}: done ({time.perf_counter() - started:.0f} s so far)")
        store_for_answers = corpus_store or store_dir
        result["llamacpp"] = (
            bench_llamacpp(store_for_answers, answerable, config)
            if "llamacpp" in config.backends
            else {"skipped": "not requested (--backend)"}
        )
        result["page"] = page(config, log)
        result["llamacpp_ttft_ms"] = result["llamacpp"].get("ttft_ms")
        result["llamacpp_overhead_ratio"] = result["llamacpp"].get("overhead_ratio")
        if config.cold:
            log("[bench] cold start")
            result |= bench_cold(store_for_answers, answerable[0])
        else:
            result["cold_ask_s"] = None
    result["machine"]["load_average_end"] = load_average()
    result["duration_s"] = round(time.perf_counter() - started, 1)
    write(result, config.out)
    return result


def page(config: BenchConfig, log: Callable[[str], None]) -> dict:
    """The chat page in Chromium with the local model (`eval.bench.page`), or why not."""
    from eval.bench.page import bench_page

    if "llamacpp" not in config.backends or not config.page_questions:
        return {"skipped": "not requested (--backend)"}
    log("[bench] the chat page in Chromium")
    try:
        return bench_page(config.page_questions, log)
    except RuntimeError as error:  # no chromium, or the page's model never warmed up
        return {"skipped": str(error)}


def merge(paths: Sequence[Path], out: Path) -> dict:
    """One report from several runs (e.g. the 100k size run on its own): later sizes win.

    Each size keeps the run it was measured in; `runs` lists every run's machine and config.
    """
    results = [json.loads(Path(p).read_text()) for p in paths]
    merged = {**results[0], "sizes": {}, "runs": []}
    for result in results:
        merged["sizes"].update(result["sizes"])
        merged["runs"].append(
            {
                "machine": result["machine"],
                "config": result["config"],
                "sizes": list(result["sizes"]),
            }
        )
        for key in ONCE:
            if merged.get(key) is None and result.get(key) is not None:
                merged[key] = result[key]
    merged["sizes"] = dict(sorted(merged["sizes"].items(), key=lambda item: item[1]["chunks"]))
    write(merged, out)
    return merged


def write(result: dict, out: Path) -> None:
    """`bench.json` (the data) and `bench.md` (the table) in `out`."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(result, indent=2))
    (out / "bench.md").write_text(table(result) + "\n")
