"""A run's result as text: the Markdown table of every size, and the one-off numbers under it."""

from __future__ import annotations

from typing import Any

from eval.bench.page import summary

COLUMNS = (
    ("size", None),
    ("chunks", "chunks"),
    ("emb", "embeddings"),
    ("idx tok/s", "index_embedded_tokens_per_s"),
    ("raw tok/s", "raw_embedder_tokens_per_s"),
    ("vs raw", "index_ratio_vs_raw_embedder"),
    ("vs base", "index_tokens_per_s_vs_baseline"),
    ("reidx s", "reindex_seconds"),
    ("RSS MB", "index_peak_rss_mb"),
    ("ret p50", "retrieve_p50_ms"),
    ("ret p95", "retrieve_p95_ms"),
    ("ret CPU", "retrieve_cpu_p50_ms"),
    ("base p50", "baseline_retrieve_p50_ms"),
    ("base CPU", "baseline_retrieve_cpu_p50_ms"),
    ("ext p50", "extractive_p50_ms"),
    ("ext p95", "extractive_p95_ms"),
    ("ext CPU", "extractive_cpu_p50_ms"),
)


def table(result: dict) -> str:
    """The result as a Markdown table, plus the one-off numbers under it."""
    lines = [
        "| " + " | ".join(name for name, _ in COLUMNS) + " |",
        "|" + "|".join("---" for _ in COLUMNS) + "|",
    ]
    for label, size in result["sizes"].items():
        cells = [label] + [_cell(size.get(key)) for _, key in COLUMNS[1:]]
        if size.get("index_ratio_projected"):
            cells[3] += "*"
            cells[5] += "*"
        if size.get("writes") == "buffered":
            cells[2] += "+bulk"
        lines.append("| " + " | ".join(cells) + " |")
    llm = result.get("llamacpp") or {}
    notes = [
        "",
        "Latencies in ms. `idx tok/s`: our full build, tokens embedded per second (the word "
        "pieces the model reads, each text cut at its 256); `raw tok/s`: the embedding model "
        "alone on the same texts; "
        "`vs raw`: their ratio; `vs base`: ours / the plain llama-index pipeline's tokens "
        "embedded per second (it embeds other, fewer chunks, so only tokens compare); "
        "`reused`: built with reused embeddings, * = projected with the model's measured speed "
        "(eval/bench/); `+bulk`: buffered writes; `CPU`: median CPU time of the process per "
        "query (all threads), which the machine's load barely changes.",
    ]
    if "ttft_ms" in llm:
        notes.append(
            f"llamacpp ({llm['model']}, prompt {llm['prompt_tokens']:.0f} tokens, "
            f"max {llm['max_tokens']} new): first token {llm['ttft_ms']:.0f} ms "
            f"(llama.cpp alone {llm['direct_ttft_ms']:.0f} ms), "
            f"{llm['tokens_per_s']} tokens/s (alone {llm['direct_tokens_per_s']}), "
            f"total {llm['total_ms']:.0f} ms (alone {llm['direct_total_ms']:.0f} ms): "
            f"overhead ratio {llm['overhead_ratio']}; over {llm['questions']} questions p95 "
            f"first token {llm['ttft_p95_ms']:.0f} ms, total {llm['total_p95_ms']:.0f} ms; "
            f"a follow-up: first token {llm['follow_up_ttft_ms']:.0f} ms, "
            f"total {llm['follow_up_total_ms']:.0f} ms (p50)"
        )
    elif llm.get("skipped"):
        notes.append(f"llamacpp: skipped ({llm['skipped']})")
    page = result.get("page") or {}
    if "first_p50_s" in page:
        notes.append(summary(page))
    elif page.get("skipped"):
        notes.append(f"page: skipped ({page['skipped']})")
    cold = [
        f"{name} {result[key]} s"
        for name, key in (
            ("rag --help", "cold_help_s"),
            ("rag ask", "cold_ask_s"),
            ("rag ui (page served)", "cold_ui_s"),
            ("rag ui (first answer)", "cold_ui_answer_s"),
        )
        if result.get(key) is not None
    ]
    if cold:
        notes.append("cold start: " + ", ".join(cold))
    m = result["machine"]
    notes.append(
        f"machine: {m['cores']} cores, {m['memory_gib']} GiB, {m['cpu']}; load average "
        f"{m['load_average_start'][0]} at start, {m.get('load_average_end', ['?'])[0]} at end"
    )
    return "\n".join(lines + notes)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}" if value < 10 else f"{value:.0f}" if value >= 100 else f"{value:.1f}"
    return str(value)
