"""Embedded vs client-server Chroma on the same corpus: retrieval latency and indexing time.

    rag bench-server [--corpus seeds] [--copies 12] [--queries 200] [--chroma-url URL]

Without --chroma-url a `chroma run` is started on a free loopback port (and stopped after).
The machine is shared, so both sides run in one process, alternating query by query.

- retrieval: `HybridRetriever.retrieve` (query embedding + dense + BM25 + fusion) and the dense
  store query alone (`ChunkStore.query` with a precomputed embedding: the part the server
  changes), p50/p95 in ms over `--queries` dev questions (cycled) per side, after a warm-up.
- indexing: the corpus (`--copies` variants of every file, as tests/index/test_server.py makes
  them) is chunked and embedded once; then the same chunks and vectors are written into a fresh
  embedded store and a fresh server collection (`ChunkStore.replace`, document by document),
  so the write times compare the stores and not the embedder, whose time is reported apart.

`compare_stores(settings, embedded, server, questions)` is the function to call from elsewhere
(e.g. a client-server column in `rag bench`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from contextlib import nullcontext
from pathlib import Path

import index  # noqa: F401  (offline switches first)
from eval.bench.config import dev_questions
from eval.processes import chroma_server
from eval.stats import percentile, rounded
from index.chunking import ChunkSpec, chunk_document
from index.documents import discover, read_document
from index.store import ChunkStore
from rag import factory
from rag.settings import Settings


def percentiles(samples_ms: Sequence[float]) -> dict[str, float | None]:
    return {f"p{p}": rounded(percentile(samples_ms, p), 2) for p in (50, 95)}


def compare_stores(
    settings: Settings,
    embedded: ChunkStore,
    server: ChunkStore,
    questions: Sequence[str],
    n: int = 200,
    warmup: int = 5,
) -> dict[str, dict[str, dict[str, float | None]]]:
    """Retrieval latency, embedded vs server, on two stores holding the same chunks, each
    retrieved from as `settings` say.

    Returns {"retrieve": {"embedded": {"p50", "p95"}, "server": {...}}, "dense": {...}}.
    """
    stores = {"embedded": embedded, "server": server}
    retrievers = {side: factory.retriever(settings, store) for side, store in stores.items()}
    embedder = factory.embedder(settings)
    vectors = {q: embedder.get_query_embedding(q) for q in questions}
    candidates = retrievers["embedded"].config.candidates
    samples: dict[str, dict[str, list[float]]] = {
        "retrieve": {k: [] for k in stores},
        "dense": {k: [] for k in stores},
    }
    for i in range(warmup + n):
        question = questions[i % len(questions)]
        order = list(stores) if i % 2 == 0 else list(reversed(stores))
        for side in order:
            started = time.perf_counter()
            retrievers[side].retrieve(question)
            middle = time.perf_counter()
            stores[side].query(vectors[question], candidates)
            ended = time.perf_counter()
            if i >= warmup:
                samples["retrieve"][side].append((middle - started) * 1000)
                samples["dense"][side].append((ended - middle) * 1000)
    return {
        what: {side: percentiles(times) for side, times in by_side.items()}
        for what, by_side in samples.items()
    }


def write_times(
    stores: dict[str, ChunkStore], prepared: list[tuple]
) -> dict[str, dict[str, float]]:
    """Seconds to write the same prepared documents into each store, alternating document by
    document; `prepared` is [(SourceDocument, nodes, embeddings)]."""
    seconds = dict.fromkeys(stores, 0.0)
    for i, (doc, nodes, embeddings) in enumerate(prepared):
        for side in list(stores) if i % 2 == 0 else list(reversed(stores)):
            started = time.perf_counter()
            stores[side].replace(doc, nodes, embeddings)
            seconds[side] += time.perf_counter() - started
    chunks = sum(len(nodes) for _, nodes, _ in prepared)
    return {
        side: {"seconds": round(s, 2), "chunks_per_s": round(chunks / s, 1)}
        for side, s in seconds.items()
    }


def prepare(folder: Path, embedder, spec: ChunkSpec) -> tuple[list[tuple], float]:
    """Every document chunked and embedded once; and the seconds the embedding took."""
    from llama_index.core.schema import MetadataMode

    prepared, embed_s = [], 0.0
    for doc_id, path in discover([folder]):
        doc = read_document(doc_id, path)
        nodes = chunk_document(doc, spec)
        started = time.perf_counter()
        vectors = embedder.get_text_embedding_batch(
            [n.get_content(MetadataMode.EMBED) for n in nodes]
        )
        embed_s += time.perf_counter() - started
        prepared.append((doc, nodes, vectors))
    return prepared, embed_s


def copies_of(corpus: Path, copies: int, folder: Path) -> Path:
    """`copies` variants of every file in `corpus`, each with one sentence added."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(copies):
        for path in sorted(corpus.glob("*.txt")):
            text = path.read_text(encoding="utf-8")
            (folder / f"{i:02d}_{path.name}").write_text(
                f"{text}\nThis is copy number {i} of the article.\n", encoding="utf-8"
            )
    return folder


def run(corpus: Path, copies: int, n: int, url: str | None, work: Path) -> dict:
    """Both stores filled with the same chunks, then timed; a local `chroma run` is started
    (and stopped) unless `url` names a server."""
    settings = Settings()
    folder = copies_of(corpus, copies, work / "corpus") if copies > 1 else corpus
    prepared, embed_s = prepare(folder, factory.embedder(settings), factory.chunk_spec(settings))
    local = chroma_server(work / "chroma", log=work / "chroma.log") if url is None else None
    with local or nullcontext():
        name = f"bench-{int(time.time())}"
        embedded = {"store_dir": work / "embedded", "chroma_url": None, "collection": name}
        served = {"chroma_url": url or local.url, "collection": name}
        stores = {
            "embedded": factory.store(settings.model_copy(update=embedded), create=True),
            "server": factory.store(settings.model_copy(update=served), create=True),
        }
        writes = write_times(stores, prepared)
        latency = compare_stores(settings, stores["embedded"], stores["server"], dev_questions(), n)
        if url is not None:  # leave a shared server as we found it
            stores["server"].drop()
    chunks = sum(len(nodes) for _, nodes, _ in prepared)
    return {
        "corpus": str(folder),
        "documents": len(prepared),
        "chunks": chunks,
        "embedding": {"seconds": round(embed_s, 1), "chunks_per_s": round(chunks / embed_s, 1)},
        "writes": writes,
        "latency_ms": latency,
        "queries_per_side": n,
        "server": url or "chroma run (local, started by the bench)",
    }
