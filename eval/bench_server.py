"""Embedded vs client-server Chroma on the same corpus: retrieval latency and indexing time.

    python -m eval.bench_server [--corpus seeds] [--copies 12] [--queries 200] [--chroma-url URL]

Without --chroma-url a `chroma run` is started on a free loopback port (and stopped after).
The machine is shared, so both sides run in one process, alternating query by query.

- retrieval: `HybridRetriever.retrieve` (query embedding + dense + BM25 + fusion) and the dense
  store query alone (`ChunkStore.query` with a precomputed embedding: the part the server
  changes), p50/p95 in ms over `--queries` dev questions (cycled) per side, after a warm-up.
- indexing: the corpus (`--copies` variants of every file, as tests/index/test_server.py makes
  them) is chunked and embedded once; then the same chunks and vectors are written into a fresh
  embedded store and a fresh server collection (`ChunkStore.replace`, document by document),
  so the write times compare the stores and not the embedder, whose time is reported apart.

`compare_stores(embedded, server, embedder, questions)` is the function to call from elsewhere
(e.g. a client-server column in `rag bench`).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path

import index  # noqa: F401  (offline switches first)
from index.chunking import ChunkSpec, chunk_document
from index.documents import discover, read_document
from index.store import ChunkStore, open_client
from rag.retrieval import HybridRetriever, RetrievalConfig


def percentiles(samples_ms: Sequence[float]) -> dict[str, float]:
    cuts = statistics.quantiles(samples_ms, n=20, method="inclusive")
    return {"p50": round(statistics.median(samples_ms), 2), "p95": round(cuts[18], 2)}


def compare_stores(
    embedded: ChunkStore,
    server: ChunkStore,
    embedder,
    questions: Sequence[str],
    n: int = 200,
    warmup: int = 5,
) -> dict[str, dict[str, dict[str, float]]]:
    """Retrieval latency, embedded vs server, on two stores holding the same chunks.

    Returns {"retrieve": {"embedded": {"p50", "p95"}, "server": {...}}, "dense": {...}}.
    """
    stores = {"embedded": embedded, "server": server}
    retrievers = {k: HybridRetriever(s, embedder, RetrievalConfig()) for k, s in stores.items()}
    vectors = {q: embedder.get_query_embedding(q) for q in questions}
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
            stores[side].query(vectors[question], RetrievalConfig().candidates)
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


@contextmanager
def local_chroma_server(path: Path, timeout_s: float = 120.0) -> Iterator[str]:
    """`chroma run` from this venv on a free loopback port; yields its URL, then stops it."""
    import socket

    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    chroma = str(Path(sys.executable).parent / "chroma")
    url = f"http://127.0.0.1:{port}"
    command = [chroma, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"`{' '.join(command)}` did not start") from None
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run(corpus: Path, copies: int, n: int, url: str | None, work: Path) -> dict:
    from index.embedding import make_embedding
    from ui.settings import Settings
    from ui.wiring import chunk_spec

    embedder = make_embedding()
    spec = chunk_spec(Settings())
    questions = [
        json.loads(line)["question"]
        for line in (Path(__file__).parent / "questions" / "dev.jsonl").read_text().splitlines()
        if line.strip()
    ]
    folder = copies_of(corpus, copies, work / "corpus") if copies > 1 else corpus
    prepared, embed_s = prepare(folder, embedder, spec)
    server = local_chroma_server(work / "chroma") if url is None else nullcontext(url)
    with server as server_url:
        name = f"bench-{int(time.time())}"
        stores = {
            "embedded": ChunkStore(open_client(work / "embedded"), name),
            "server": ChunkStore(open_client(url=server_url), name),
        }
        writes = write_times(stores, prepared)
        latency = compare_stores(stores["embedded"], stores["server"], embedder, questions, n)
        if url is not None:  # leave a shared server as we found it
            for collection in (name, f"{name}-documents"):
                stores["server"].client.delete_collection(collection)
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


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path("seeds"))
    parser.add_argument("--copies", type=int, default=12, help="variants of every file")
    parser.add_argument("--queries", type=int, default=200, help="per side")
    parser.add_argument("--chroma-url", help="an existing server (default: start one)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-server-") as tmp:
        figures = run(args.corpus, args.copies, args.queries, args.chroma_url, Path(tmp))
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
