"""Index builds, ours beside the raw embedder and the baseline, alternating.

Ours runs in a fresh child process (`python -m eval.bench.indexing DOCS --store DIR`), which
loads the model, tokenizers and store first, so its time is the build and not Python start-up;
it prints its figures as one JSON line.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from eval.bench.config import ROOT, store_settings
from eval.bench.corpus import Corpus
from eval.bench.embedders import PooledEmbedding, TimedEmbedding, model_embedder
from eval.stats import rounded, timed

BULK_CHUNKS = 5_000  # chunks per buffered write (sizes above `bulk_above`)


def child_index(docs: Path, store_dir: Path, pool_path: Path | None, bulk: bool = False) -> dict:
    """Run in a fresh process: build, then re-index unchanged; report times and peak RSS."""
    import numpy as np

    from index.chunking import count_tokens, sentence_spans
    from rag import factory

    inner = PooledEmbedding(np.load(pool_path)) if pool_path else model_embedder()
    embedder = TimedEmbedding(inner)
    count_tokens("warm up the tokenizer")
    sentence_spans("Warm up. The sentence splitter.")
    indexer = factory.indexer(store_settings(store_dir), embedder)
    indexer.store  # noqa: B018 (opened before the clock starts)
    batch = BULK_CHUNKS if bulk else 1
    report = indexer.index([docs], progress=False, batch_chunks=batch)
    embed_seconds, embedded_tokens = embedder.seconds, embedder.tokens()
    again = indexer.index([docs], progress=False)
    if report.skipped or again.added or again.updated:
        raise RuntimeError(f"unexpected index result: {report.summary()} / {again.summary()}")
    return {
        "seconds": report.seconds,
        "documents": report.added,
        "chunks": report.chunks,
        "tokens": report.tokens,
        "embed_seconds": embed_seconds,
        "embedded_tokens": embedded_tokens,
        "reindex_seconds": again.seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def child(
    docs: Path,
    store: Annotated[Path, typer.Option(help="the store folder to build")],
    pool_vectors: Annotated[Path | None, typer.Option(help="reuse these vectors (.npy)")] = None,
    bulk: Annotated[bool, typer.Option(help="buffered writes")] = False,
) -> None:
    """Build the index of DOCS in a fresh store and print the figures as one JSON line."""
    typer.echo(json.dumps(child_index(docs, store, pool_vectors, bulk)))


def build_ours(corpus: Corpus, store_dir: Path) -> dict:
    command = [sys.executable, "-m", "eval.bench.indexing", str(corpus.docs)]
    command += ["--store", str(store_dir)]
    if corpus.pool_path:
        command += ["--pool-vectors", str(corpus.pool_path)]
    if corpus.bulk:
        command += ["--bulk"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"the index child failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def build_baseline(corpus: Corpus):
    """(seconds, embed seconds, chunks, embedded tokens, pipeline) for the plain llama-index
    pipeline."""
    import numpy as np

    from eval.baseline import BaselinePipeline
    from rag import factory
    from rag.settings import Settings

    model = model_embedder()
    inner = PooledEmbedding(np.load(corpus.pool_path), model) if corpus.pool_path else model
    embedder = TimedEmbedding(inner)
    backend = factory.backend(Settings(), "extractive")
    seconds, pipe = timed(lambda: BaselinePipeline(corpus.docs, embedder, backend))
    chunks = pipe.index.vector_store.client.count()
    return seconds, embedder.seconds, chunks, embedder.tokens(), pipe


def raw_embed(texts: list[str]) -> float:
    """Texts/s of the model alone on these texts (its batch size, no pipeline)."""
    seconds, _ = timed(lambda: model_embedder().get_text_embedding_batch(texts))
    return len(texts) / seconds


def bench_index(corpus: Corpus, reps: int, work: Path) -> tuple[dict, Path, Any]:
    """`reps` builds per side, alternating; the figures, the last store and baseline built."""
    ours: list[dict] = []
    base: list[tuple[float, float, int, int]] = []
    pipe = None
    store_dir = work / f"{corpus.label}-store-0"
    for rep in range(reps):
        store_dir = work / f"{corpus.label}-store-{rep}"
        ours.append(build_ours(corpus, store_dir))
        pipe = None  # free the previous baseline index before building the next
        *numbers, pipe = build_baseline(corpus)
        base.append(tuple(numbers))
        if not corpus.reused:
            corpus.raw_chunks_per_s.append(raw_embed(corpus.chunk_texts))
    seconds = statistics.median(o["seconds"] for o in ours)
    first = ours[0]
    base_seconds = statistics.median(b[0] for b in base)
    raw = statistics.median(corpus.raw_chunks_per_s)
    chunks_per_s = first["chunks"] / seconds
    embed_share = statistics.median(o["embed_seconds"] / o["seconds"] for o in ours)
    overhead = statistics.median((o["seconds"] - o["embed_seconds"]) / o["chunks"] for o in ours)
    ratio = chunks_per_s / raw if not corpus.reused else (1 / raw) / (1 / raw + overhead)
    projected = 1 / (1 / raw + overhead) if corpus.reused else None
    # Tokens embedded per second: ours and the raw model embed the same texts; the baseline
    # embeds other (fewer, truncated) chunks, so only tokens compare with it.
    tokens_per_chunk = first["embedded_tokens"] / first["chunks"]
    tokens_per_s = (projected or chunks_per_s) * tokens_per_chunk
    base_tokens_per_s = base[0][3] / base_seconds
    result = {
        "embeddings": "reused" if corpus.reused else "model",
        "writes": "buffered" if corpus.bulk else "per document",
        "documents": first["documents"],
        "chunks": first["chunks"],
        "tokens": first["tokens"],
        "index_seconds": rounded(seconds),
        "index_docs_per_s": rounded(first["documents"] / seconds, 2),
        "index_chunks_per_s": rounded(chunks_per_s, 2),
        "index_tokens_per_s": rounded(first["tokens"] / seconds, 1),
        "index_embedded_tokens_per_s": rounded(tokens_per_s, 1),
        "raw_embedder_tokens_per_s": rounded(raw * tokens_per_chunk, 1),
        "baseline_embedded_tokens": base[0][3],
        "baseline_embedded_tokens_per_s": rounded(base_tokens_per_s, 1),
        "index_tokens_per_s_vs_baseline": rounded(tokens_per_s / base_tokens_per_s),
        "index_embed_share": rounded(embed_share),
        "index_overhead_ms_per_chunk": rounded(overhead * 1000),
        "reindex_seconds": rounded(statistics.median(o["reindex_seconds"] for o in ours)),
        "index_peak_rss_mb": rounded(max(o["peak_rss_mb"] for o in ours), 1),
        "raw_embedder_chunks_per_s": rounded(raw, 2),
        "index_ratio_vs_raw_embedder": rounded(ratio),
        "index_ratio_projected": corpus.reused,
        "index_chunks_per_s_projected": rounded(projected, 2),
        "pipeline_chunks_per_s_excl_embedding": rounded(1 / overhead, 1),
        "baseline_index_seconds": rounded(base_seconds),
        "baseline_chunks": base[0][2],
        "baseline_embed_share": rounded(statistics.median(b[1] / b[0] for b in base)),
        "index_speedup_vs_baseline": rounded(base_seconds / seconds),
        "index_builds_per_side": reps,
    }
    return result, store_dir, pipe


if __name__ == "__main__":
    typer.run(child)
