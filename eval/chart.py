"""The benchmark as a picture: latency and indexing throughput against corpus size (PNG)."""

from __future__ import annotations

from pathlib import Path

NAN = float("nan")


def _number(value: float | None) -> float:
    return NAN if value is None else float(value)


def draw(result: dict, path: Path) -> Path:
    """Two panels over chunks in the index (log scale): query latency and indexing speed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = sorted(result["sizes"].items(), key=lambda item: item[1]["chunks"])
    chunks = [size["chunks"] for _, size in sizes]
    labels = [f"{label}\n{size['chunks']:,}" for label, size in sizes]

    def series(key: str) -> list[float]:
        return [_number(size.get(key)) for _, size in sizes]

    figure, (latency, speed) = plt.subplots(1, 2, figsize=(12, 4.8))
    for key, name, style in (
        ("retrieve_p50_ms", "ours: retrieve p50", "o-"),
        ("retrieve_p95_ms", "ours: retrieve p95", "o--"),
        ("extractive_p50_ms", "ours: extractive answer p50", "s-"),
        ("baseline_retrieve_p50_ms", "baseline: retrieve p50 (dense top-2)", "^:"),
        ("retrieve_cpu_p50_ms", "ours: retrieve, CPU time p50", "o-."),
        ("extractive_cpu_p50_ms", "ours: extractive, CPU time p50", "s-."),
    ):
        latency.plot(chunks, series(key), style, label=name)
    latency.set_title("Query latency")
    latency.set_ylabel("milliseconds")
    model = [size["embeddings"] == "model" for _, size in sizes]
    measured = [v if m else NAN for v, m in zip(series("index_chunks_per_s"), model, strict=True)]
    projected = [
        _number(size.get("index_chunks_per_s_projected")) if not m else v
        for (_, size), v, m in zip(sizes, measured, model, strict=True)
    ]
    for values, name, style in (
        (projected, "ours: indexing, projected with the model", "o:"),
        (measured, "ours: indexing (measured, model embeddings)", "o-"),
        (series("pipeline_chunks_per_s_excl_embedding"), "ours: everything but the model", "d-."),
        (series("raw_embedder_chunks_per_s"), "embedding model alone", "s--"),
    ):
        speed.plot(chunks, values, style, label=name)
    reused = [c for c, m in zip(chunks, model, strict=True) if not m]
    if reused:
        speed.axvspan(min(reused) * 0.8, max(reused) * 1.25, color="0.92", zorder=0)
        speed.text(
            min(reused) * 0.8,
            0.03,
            " reused embeddings",
            fontsize=8,
            transform=speed.get_xaxis_transform(),
        )
    speed.set_title("Indexing throughput")
    speed.set_ylabel("chunks per second")
    speed.set_yscale("log")
    for axis in (latency, speed):
        axis.set_xscale("log")
        axis.set_xticks(chunks, labels, fontsize=8)
        axis.minorticks_off()
        axis.set_xlabel("chunks in the index")
        axis.grid(True, alpha=0.3)
        axis.legend(fontsize=8)
    m = result["machine"]
    figure.suptitle(
        f"rag bench: {m['cores']} cores, {m['memory_gib']} GiB, {m['cpu']} "
        f"(load average {m['load_average_start'][0]} at start)",
        fontsize=10,
    )
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
