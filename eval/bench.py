"""Speed, memory and scale, ours beside the plain llama-index baseline (`rag bench`).

The machine is shared and noisy, so every comparison runs both sides in one run, alternating
(ours, baseline, raw embedder, ours, ...), and the report gives medians and ratios.

What is measured, per corpus size:
- indexing, ours: `index.indexer.index_paths` into a fresh embedded Chroma store, in a fresh
  child process (`python -m eval.bench --child-index`) after loading the model, tokenizers and
  store (so the time is the build, not Python start-up); documents/s, chunks/s, tokens/s, the
  share of the time spent inside the embedder, a no-change re-index, and the child's peak RSS.
- indexing, raw embedder: `make_embedding().get_text_embedding_batch` on exactly our chunk
  texts: the physical limit. `index_ratio_vs_raw_embedder` = ours chunks/s / raw chunks/s.
- indexing, baseline: `eval.baseline.BaselinePipeline` (SimpleDirectoryReader over the raw
  files, default SentenceSplitter, same embedding model, VectorStoreIndex over an in-memory
  Chroma collection), in this process. `index_speedup_vs_baseline` = baseline seconds / ours
  seconds for the same files.
- retrieval: `HybridRetriever.retrieve` (query embedding + dense + BM25 + fusion) over the dev
  questions, alternating with the baseline's top-2 dense retriever; the first query, which
  builds the BM25 index, is reported apart (`first_retrieve_ms`).
- extractive answers: `AnswerPipeline.ask` with the extractive backend, alternating with the
  baseline's `ask` (its extractive answer is the top chunk).
Once: llama.cpp time to first token, tokens/s and total through our pipeline, beside
`llama_cpp.Llama.create_chat_completion` called directly on the same messages (the model's
prompt cache is reset before every run, on both sides); cold start of `rag --help`, `rag ask`
and, when the command exists, `rag ui` until its page answers.

Scale (eval/scale.py makes the corpora): embedding 100k chunks with the model would take about
an hour here, and would measure nothing but the model again. So sizes above `real_embed_max`
chunks (default 2,000: the 1k corpus is embedded for real) are indexed with `PooledEmbedding`:
a pool of real model embeddings of the first `pool` distinct chunk texts of that corpus,
each chunk getting a pool vector chosen by a hash of its text plus a deterministic random
perturbation. Everything else is real and unchanged: reading, cleaning, chunking, a real
Chroma collection of that many chunks, BM25 over all of them, and queries embedded by the
model. At those sizes `index_ratio_vs_raw_embedder` is projected: the model's measured time
per chunk (on the pool) plus our measured non-embedding time per chunk, against the model
alone; `embeddings` says "model" or "reused" for every size.

Above `bulk_above` chunks (default 50,000: the 100k size) the writes are buffered too:
`index_paths` runs unchanged (read, clean, chunk, version, skip-if-complete), but the store it
writes to (`buffered_store`) collects new documents and writes them 5,000 chunks per Chroma
call instead of one document at a time. Measured here, the per-document path slowed to about
17 chunks/s past 15k chunks on the busy machine (Chroma's HNSW insert and its per-call write
cost: about 75% of our non-model indexing time at 10k in the profile), so a 100k build would
take over an hour; `writes` says "per document" or "buffered" for every size. The records are
the same, so the no-change re-index that follows runs on the plain store and must skip all.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import index  # noqa: F401  (offline switches before heavy libraries)

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
DEV_QUESTIONS = ROOT / "eval" / "questions" / "dev.jsonl"
DEFAULT_OUT = ROOT / "eval" / "results" / "bench"
NOISE = 0.3  # perturbation of a reused vector (cosine to its pool vector about 0.96)
BULK_CHUNKS = 5_000  # chunks per buffered write (sizes above `bulk_above`)
COLLECTION = "bench"


@dataclass
class BenchConfig:
    sizes: list[str] = field(default_factory=lambda: ["corpus"])
    out: Path = DEFAULT_OUT
    backends: list[str] = field(default_factory=lambda: ["extractive", "llamacpp"])
    reps: int = 3  # builds per side for the seed corpus
    scale_reps: int = 1  # builds per side for the synthetic corpora
    rounds: int = 3  # passes over the questions for retrieval latency
    real_embed_max: int = 2_000
    pool: int = 512
    bulk_above: int = 50_000  # larger sizes write to Chroma in buffered batches (see docstring)
    llm_questions: int = 2
    llm_max_tokens: int = 64
    cold: bool = True
    seed: int = 0
    keep: Path | None = None  # keep the stores built here (for profiling); default: a temp dir


# --- small helpers ------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def _r(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def parse_size(name: str) -> int | None:
    """Chunk target of a size name: corpus (None), 1k, 10k, 100k, 2500, 5k ..."""
    name = name.strip().lower()
    if name == "corpus":
        return None
    try:
        return int(float(name[:-1]) * 1000) if name.endswith("k") else int(name)
    except ValueError:
        raise ValueError(f"unknown size {name!r}: use corpus, 1k, 10k, 100k or a number") from None


def load_questions(path: Path = DEV_QUESTIONS) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def machine() -> dict:
    import psutil

    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    versions = {}
    for package in ("onnxruntime", "chromadb", "llama-index-core", "llama-cpp-python"):
        try:
            from importlib.metadata import version

            versions[package] = version(package)
        except Exception:
            versions[package] = None
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "cpu": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
        "versions": versions,
    }


# --- embedders ----------------------------------------------------------------------------


def _embedding_classes():
    """Defined lazily: llama-index loads only when a benchmark runs."""
    import numpy as np
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from pydantic import PrivateAttr

    class TimedEmbedding(BaseEmbedding):
        """Passes through to another embedder and adds up the seconds spent in it."""

        model_name: str = "timed"
        seconds: float = 0.0
        _inner: Any = PrivateAttr()

        def __init__(self, inner: BaseEmbedding, **kwargs: Any) -> None:
            super().__init__(
                model_name=inner.model_name, embed_batch_size=inner.embed_batch_size, **kwargs
            )
            self._inner = inner

        def _clock(self, call: Callable[[], Any]) -> Any:
            started = time.perf_counter()
            try:
                return call()
            finally:
                self.seconds += time.perf_counter() - started

        def _get_query_embedding(self, query: str) -> list[float]:
            return self._inner.get_query_embedding(query)

        def _get_text_embedding(self, text: str) -> list[float]:
            return self._clock(lambda: self._inner.get_text_embedding(text))

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return self._clock(lambda: self._inner.get_text_embedding_batch(texts))

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

    class PooledEmbedding(BaseEmbedding):
        """Index-time stand-in for the model at large sizes (see the module docstring).

        A text gets the pool vector its hash picks, plus a small perturbation seeded by the
        same hash, normalised: deterministic, distinct per text, about 20 µs per text.
        Queries go to the real model when one is given.
        """

        model_name: str = "pooled"
        _vectors: Any = PrivateAttr()
        _query_model: Any = PrivateAttr(default=None)

        def __init__(self, vectors: Any, query_model: BaseEmbedding | None = None, **kw: Any):
            super().__init__(embed_batch_size=256, **kw)
            self._vectors = np.asarray(vectors, dtype=np.float32)
            self._query_model = query_model

        def _vector(self, text: str) -> list[float]:
            seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")
            base = self._vectors[seed % len(self._vectors)]
            noise = np.random.default_rng(seed).standard_normal(base.shape[0])
            vector = base + NOISE * noise / np.linalg.norm(noise)
            return (vector / np.linalg.norm(vector)).tolist()

        def _get_query_embedding(self, query: str) -> list[float]:
            if self._query_model is None:
                raise RuntimeError("PooledEmbedding has no query model")
            return self._query_model.get_query_embedding(query)

        def _get_text_embedding(self, text: str) -> list[float]:
            return self._vector(text)

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return [self._vector(t) for t in texts]

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

    return TimedEmbedding, PooledEmbedding


_MODEL = None


def model_embedder():
    """The real embedding model, loaded once per process (the same one `rag` uses)."""
    global _MODEL
    if _MODEL is None:
        from index.embedding import make_embedding

        _MODEL = make_embedding()
        _MODEL.get_text_embedding_batch(["warm up the model"])
    return _MODEL


# --- corpora ------------------------------------------------------------------------------


@dataclass
class Corpus:
    label: str
    docs: Path
    target: int | None
    reused: bool = False
    bulk: bool = False
    pool_path: Path | None = None
    raw_chunks_per_s: list[float] = field(default_factory=list)
    chunk_texts: list[str] = field(default_factory=list)


def chunk_texts(folder: Path, limit: int | None = None) -> list[str]:
    """Our chunks' embedded texts, in indexing order (the raw embedder's input)."""
    from llama_index.core.schema import MetadataMode

    from index.chunking import ChunkSpec, chunk_document
    from index.documents import discover, read_document

    texts: list[str] = []
    for doc_id, path in discover([folder]):
        nodes = chunk_document(read_document(doc_id, path), ChunkSpec())
        texts.extend(n.get_content(MetadataMode.EMBED) for n in nodes)
        if limit is not None and len(texts) >= limit:
            return list(dict.fromkeys(texts))[:limit]
    return texts


_POOLS: dict[str, tuple[Path, float]] = {}


def prepare(label: str, config: BenchConfig, work: Path) -> Corpus:
    from eval.scale import corpus_docs, write_corpus

    target = parse_size(label)
    if target is None:
        corpus = Corpus(label, SEEDS, None)
    else:
        folder = write_corpus(target, config.out / "corpora", SEEDS, config.seed)
        corpus = Corpus(
            label,
            corpus_docs(folder),
            target,
            reused=target > config.real_embed_max,
            bulk=target > config.bulk_above,
        )
    if not corpus.reused:
        corpus.chunk_texts = chunk_texts(corpus.docs)
        return corpus
    texts = chunk_texts(corpus.docs, config.pool)
    key = hashlib.sha256("\0".join(texts).encode()).hexdigest()[:16]
    if key not in _POOLS:
        import numpy as np

        seconds, vectors = timed(lambda: model_embedder().get_text_embedding_batch(texts))
        path = work / f"pool-{key}.npy"
        np.save(path, np.asarray(vectors, dtype=np.float32))
        _POOLS[key] = (path, len(texts) / seconds)
    corpus.pool_path, speed = _POOLS[key]
    corpus.raw_chunks_per_s.append(speed)
    return corpus


# --- indexing -----------------------------------------------------------------------------


def buffered_store(client: Any):
    """A ChunkStore whose `replace` of new documents is written BULK_CHUNKS chunks at a time."""
    from index.store import ChunkStore, document_record

    class BufferedStore(ChunkStore):
        def __init__(self) -> None:
            super().__init__(client, COLLECTION)
            self.pending: list[tuple[Any, list, list]] = []

        def replace(self, doc, nodes, embeddings) -> None:
            self.pending.append((doc, nodes, embeddings))
            if sum(len(n) for _, n, _ in self.pending) >= BULK_CHUNKS:
                self.flush()

        def flush(self) -> None:
            rows = [row for _, nodes, embs in self.pending for row in zip(nodes, embs, strict=True)]
            size = client.get_max_batch_size()
            for first in range(0, len(rows), size):
                batch = rows[first : first + size]
                self.chunks.add(
                    ids=[n.node_id for n, _ in batch],
                    documents=[n.text for n, _ in batch],
                    metadatas=[n.metadata for n, _ in batch],
                    embeddings=[e for _, e in batch],
                )
            if self.pending:
                self.docs.upsert(
                    ids=[doc.doc_id for doc, _, _ in self.pending],
                    documents=[doc.text for doc, _, _ in self.pending],
                    metadatas=[document_record(doc, len(nodes)) for doc, nodes, _ in self.pending],
                    embeddings=[[0.0]] * len(self.pending),
                )
            self.pending = []

    return BufferedStore()


def child_index(docs: Path, store_dir: Path, pool_path: Path | None, bulk: bool = False) -> dict:
    """Run in a fresh process: build, then re-index unchanged; report times and peak RSS."""
    import numpy as np

    from index.chunking import ChunkSpec, count_tokens, sentence_spans
    from index.indexer import index_paths
    from index.store import ChunkStore, open_client

    timed_cls, pooled_cls = _embedding_classes()
    inner = pooled_cls(np.load(pool_path)) if pool_path else model_embedder()
    embedder = timed_cls(inner)
    count_tokens("warm up the tokenizer")
    sentence_spans("Warm up. The sentence splitter.")
    client = open_client(store_dir)
    store = buffered_store(client) if bulk else ChunkStore(client, COLLECTION)
    report = index_paths([docs], store, embedder, ChunkSpec(), progress=False)
    if bulk:
        seconds, _ = timed(store.flush)
        report.seconds += seconds
    embed_seconds = embedder.seconds
    store = ChunkStore(client, COLLECTION)
    again = index_paths([docs], store, embedder, ChunkSpec(), progress=False)
    if report.skipped or again.added or again.updated:
        raise RuntimeError(f"unexpected index result: {report.summary()} / {again.summary()}")
    return {
        "seconds": report.seconds,
        "documents": report.added,
        "chunks": report.chunks,
        "tokens": report.tokens,
        "embed_seconds": embed_seconds,
        "reindex_seconds": again.seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def build_ours(corpus: Corpus, store_dir: Path) -> dict:
    command = [sys.executable, "-m", "eval.bench", "--child-index", str(corpus.docs)]
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
    """(seconds, embed seconds, chunks, pipeline) for the plain llama-index pipeline."""
    import numpy as np

    from eval.baseline import BaselinePipeline
    from rag.backends.base import create_backend

    timed_cls, pooled_cls = _embedding_classes()
    model = model_embedder()
    inner = pooled_cls(np.load(corpus.pool_path), model) if corpus.pool_path else model
    embedder = timed_cls(inner)
    backend = create_backend("extractive")
    seconds, pipe = timed(lambda: BaselinePipeline(corpus.docs, embedder, backend))
    chunks = pipe.index.vector_store.client.count()
    return seconds, embedder.seconds, chunks, pipe


def raw_embed(texts: list[str]) -> float:
    """Chunks/s of the model alone on these texts (its batch size, no pipeline)."""
    seconds, _ = timed(lambda: model_embedder().get_text_embedding_batch(texts))
    return len(texts) / seconds


def bench_index(corpus: Corpus, reps: int, work: Path) -> tuple[dict, Path, Any]:
    ours: list[dict] = []
    base: list[tuple[float, float, int]] = []
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
    result = {
        "embeddings": "reused" if corpus.reused else "model",
        "writes": "buffered" if corpus.bulk else "per document",
        "documents": first["documents"],
        "chunks": first["chunks"],
        "tokens": first["tokens"],
        "index_seconds": _r(seconds),
        "index_docs_per_s": _r(first["documents"] / seconds, 2),
        "index_chunks_per_s": _r(chunks_per_s, 2),
        "index_tokens_per_s": _r(first["tokens"] / seconds, 1),
        "index_embed_share": _r(embed_share),
        "index_overhead_ms_per_chunk": _r(overhead * 1000),
        "reindex_seconds": _r(statistics.median(o["reindex_seconds"] for o in ours)),
        "index_peak_rss_mb": _r(max(o["peak_rss_mb"] for o in ours), 1),
        "raw_embedder_chunks_per_s": _r(raw, 2),
        "index_ratio_vs_raw_embedder": _r(ratio),
        "index_ratio_projected": corpus.reused,
        "index_chunks_per_s_projected": _r(1 / (1 / raw + overhead), 2) if corpus.reused else None,
        "pipeline_chunks_per_s_excl_embedding": _r(1 / overhead, 1),
        "baseline_index_seconds": _r(base_seconds),
        "baseline_chunks": base[0][2],
        "baseline_embed_share": _r(statistics.median(b[1] / b[0] for b in base)),
        "index_speedup_vs_baseline": _r(base_seconds / seconds),
        "index_builds_per_side": reps,
    }
    return result, store_dir, pipe


# --- queries ------------------------------------------------------------------------------


def ours_pipeline(store_dir: Path, backend: str = "extractive"):
    from ui import wiring
    from ui.settings import Settings

    settings = Settings(store_dir=store_dir, collection=COLLECTION, chroma_url=None)
    return settings, wiring.pipeline(settings, backend)


def bench_queries(store_dir: Path, baseline, questions: list[str], rounds: int) -> dict:
    from eval.baseline import TOP_K

    _, pipe = ours_pipeline(store_dir)
    first, _ = timed(lambda: pipe.retriever.retrieve(questions[0]))
    base_retriever = baseline.index.as_retriever(similarity_top_k=TOP_K)
    base_retriever.retrieve(questions[0])
    ours_r, base_r, ours_x, base_x, first_pass = [], [], [], [], []
    cpu: dict[str, list[float]] = {"ours_r": [], "base_r": [], "ours_x": []}

    def clock(call: Callable[[], Any], wall: list[float], key: str | None = None) -> None:
        """Wall time, and this process's CPU time (all threads): the latter barely moves
        with the machine's load, so it shows the work done even on a busy machine."""
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
        "first_retrieve_ms": _ms(first),
        "retrieve_p50_ms": _ms(percentile(ours_r, 50)),
        "retrieve_p95_ms": _ms(percentile(ours_r, 95)),
        "baseline_retrieve_p50_ms": _ms(percentile(base_r, 50)),
        "baseline_retrieve_p95_ms": _ms(percentile(base_r, 95)),
        "extractive_p50_ms": _ms(percentile(ours_x, 50)),
        "extractive_p95_ms": _ms(percentile(ours_x, 95)),
        "extractive_first_pass_p50_ms": _ms(percentile(first_pass, 50)),
        "baseline_extractive_p50_ms": _ms(percentile(base_x, 50)),
        "retrieve_cpu_p50_ms": _ms(percentile(cpu["ours_r"], 50)),
        "baseline_retrieve_cpu_p50_ms": _ms(percentile(cpu["base_r"], 50)),
        "extractive_cpu_p50_ms": _ms(percentile(cpu["ours_x"], 50)),
        "queries_per_side": len(ours_r),
    }


# --- the local model ----------------------------------------------------------------------


def _prompt_tokens(llama, messages: list[dict]) -> int:
    """Tokens of the chat prompt exactly as llama.cpp sees it (the GGUF's chat template)."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    template = llama.metadata["tokenizer.chat_template"]
    eos = llama._model.token_get_text(llama.token_eos())
    bos = llama._model.token_get_text(llama.token_bos()) if llama.token_bos() >= 0 else ""
    prompt = Jinja2ChatFormatter(template, eos_token=eos, bos_token=bos)(messages=messages).prompt
    return len(llama.tokenize(prompt.encode(), add_bos=False, special=True))


def _stream_times(events, is_token: Callable[[Any], bool]) -> dict:
    started = time.perf_counter()
    first, tokens = None, 0
    for event in events:
        if is_token(event):
            first = first or time.perf_counter()
            tokens += 1
    end = time.perf_counter()
    first = first or end
    return {
        "ttft": first - started,
        "total": end - started,
        "tokens": tokens,
        "tokens_per_s": (tokens - 1) / (end - first) if tokens > 1 and end > first else None,
    }


def bench_llamacpp(store_dir: Path, questions: list[str], config: BenchConfig) -> dict:
    from rag.backends.base import BackendError, create_backend
    from rag.pipeline import AnswerPipeline
    from rag.prompt import SYSTEM, fit_passages, user_prompt
    from ui import wiring

    settings, extractive = ours_pipeline(store_dir)
    options = wiring.backend_options("llamacpp", settings) | {"max_tokens": config.llm_max_tokens}
    try:
        load, backend = timed(lambda: create_backend("llamacpp", **options))
    except BackendError as error:
        return {"skipped": str(error)}
    pipe = AnswerPipeline(extractive.retriever, backend, extractive.config, embed=extractive.embed)
    llama = backend._model.llama
    runs = []
    for question in questions[: config.llm_questions]:
        passages = fit_passages(
            pipe.retriever.retrieve(question, pipe.config.top_k).passages,
            pipe.config.context_tokens,
        )
        messages = [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": user_prompt(question, passages)},
        ]
        llama.reset()
        ours = _stream_times(pipe.stream(question), lambda e: isinstance(e, str))
        llama.reset()
        direct = _stream_times(
            llama.create_chat_completion(
                messages=messages,
                temperature=0.0,
                max_tokens=config.llm_max_tokens,
                stream=True,
                seed=0,
            ),
            lambda c: bool(c["choices"][0]["delta"].get("content")),
        )
        runs.append(
            {"prompt_tokens": _prompt_tokens(llama, messages), "ours": ours, "direct": direct}
        )

    def med(side: str, key: str) -> float | None:
        values = [r[side][key] for r in runs if r[side][key] is not None]
        return statistics.median(values) if values else None

    return {
        "model": str(backend.path.name),
        "load_s": _r(load),
        "max_tokens": config.llm_max_tokens,
        "questions": len(runs),
        "prompt_tokens": statistics.median(r["prompt_tokens"] for r in runs),
        "ttft_ms": _ms(med("ours", "ttft")),
        "tokens_per_s": _r(med("ours", "tokens_per_s"), 2),
        "total_ms": _ms(med("ours", "total")),
        "direct_ttft_ms": _ms(med("direct", "ttft")),
        "direct_tokens_per_s": _r(med("direct", "tokens_per_s"), 2),
        "direct_total_ms": _ms(med("direct", "total")),
        "prompt_tokens_per_s": _r(
            statistics.median(r["prompt_tokens"] / r["direct"]["ttft"] for r in runs), 1
        ),
        "overhead_ratio": _r(med("ours", "total") / med("direct", "total")),
        "ttft_overhead_ratio": _r(med("ours", "ttft") / med("direct", "ttft")),
        "generated_tokens": [r["ours"]["tokens"] for r in runs],
    }


# --- cold start ---------------------------------------------------------------------------


def _rag() -> str:
    return str(Path(sys.executable).parent / "rag")


def bench_cold(store_dir: Path, question: str, reps: int = 2) -> dict:
    env = os.environ | {
        "RAG_STORE_DIR": str(store_dir),
        "RAG_COLLECTION": COLLECTION,
        "RAG_BACKEND": "extractive",
    }
    env.pop("RAG_CHROMA_URL", None)
    helps, asks = [], []
    for _ in range(reps):
        helps.append(timed(lambda: _run([_rag(), "--help"], env))[0])
        asks.append(timed(lambda: _run([_rag(), "ask", question, "--json"], env))[0])
    result = {
        "cold_help_s": _r(statistics.median(helps)),
        "cold_ask_s": _r(statistics.median(asks)),
    }
    if _has_command("ui"):
        result["cold_ui_s"] = _r(_cold_ui(env))
    return result


def _run(command: list[str], env: dict) -> None:
    done = subprocess.run(
        command, env=env, cwd=ROOT, capture_output=True, text=True, check=False, timeout=600
    )
    if done.returncode:
        raise RuntimeError(f"{' '.join(command[:2])} failed: {done.stderr[-2000:]}")


def _has_command(name: str) -> bool:
    from ui.cli import app

    return any(
        (c.name or (c.callback and c.callback.__name__)) == name for c in app.registered_commands
    )


def _cold_ui(env: dict, timeout: float = 120.0) -> float | None:
    """Seconds from `rag ui` start until its page answers on 127.0.0.1 (None: it never did)."""
    from eval.load import free_port

    port = free_port()
    env = env | {"RAG_UI_HOST": "127.0.0.1", "RAG_UI_PORT": str(port)}
    started = time.perf_counter()
    process = subprocess.Popen(
        [_rag(), "ui"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        while time.perf_counter() - started < timeout and process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as page:
                    if page.status == 200:
                        return time.perf_counter() - started
            except OSError:
                time.sleep(0.1)
        return None
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


# --- the run ------------------------------------------------------------------------------


def run(config: BenchConfig, log: Callable[[str], None] = print) -> dict:
    """Measure every size in `config`; write `bench.json` and `bench.md` (the table) in out."""
    for label in config.sizes:
        parse_size(label)
    unknown = set(config.backends) - {"extractive", "llamacpp"}
    if unknown:
        raise ValueError(f"bench measures the extractive and llamacpp backends, not {unknown}")
    config.out.mkdir(parents=True, exist_ok=True)
    questions = [q["question"] for q in load_questions()]
    answerable = [q["question"] for q in load_questions() if q.get("answerable")]
    result: dict[str, Any] = {"machine": machine(), "config": _config_dict(config), "sizes": {}}
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
        result["llamacpp_ttft_ms"] = result["llamacpp"].get("ttft_ms")
        result["llamacpp_overhead_ratio"] = result["llamacpp"].get("overhead_ratio")
        if config.cold:
            log("[bench] cold start")
            result |= bench_cold(store_for_answers, answerable[0])
        else:
            result["cold_ask_s"] = None
    result["machine"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    result["duration_s"] = round(time.perf_counter() - started, 1)
    (config.out / "bench.json").write_text(json.dumps(result, indent=2))
    (config.out / "bench.md").write_text(table(result) + "\n")
    return result


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
        for key in ("llamacpp", "llamacpp_ttft_ms", "llamacpp_overhead_ratio", "cold_ask_s"):
            if merged.get(key) is None and result.get(key) is not None:
                merged[key] = result[key]
    merged["sizes"] = dict(sorted(merged["sizes"].items(), key=lambda item: item[1]["chunks"]))
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(merged, indent=2))
    (out / "bench.md").write_text(table(merged) + "\n")
    return merged


def _config_dict(config: BenchConfig) -> dict:
    return {k: str(v) if isinstance(v, Path) else v for k, v in vars(config).items()}


# --- the table ----------------------------------------------------------------------------

COLUMNS = (
    ("size", None),
    ("chunks", "chunks"),
    ("emb", "embeddings"),
    ("idx ch/s", "index_chunks_per_s"),
    ("raw ch/s", "raw_embedder_chunks_per_s"),
    ("vs raw", "index_ratio_vs_raw_embedder"),
    ("vs base", "index_speedup_vs_baseline"),
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
            cells[3] = _cell(size.get("index_chunks_per_s_projected")) + "*"
            cells[5] += "*"
        if size.get("writes") == "buffered":
            cells[2] += "+bulk"
        lines.append("| " + " | ".join(cells) + " |")
    llm = result.get("llamacpp") or {}
    notes = [
        "",
        "Latencies in ms. `idx ch/s`: our full build, chunks/s; `vs raw`: that / the embedding "
        "model alone on the same texts; `vs base`: baseline build time / ours (same files); "
        "`reused`: built with reused embeddings, * = projected with the model's measured speed "
        "(eval/bench.py); `+bulk`: buffered writes; `CPU`: median CPU time of the process per "
        "query (all threads), which the machine's load barely changes.",
    ]
    if "ttft_ms" in llm:
        notes.append(
            f"llamacpp ({llm['model']}, prompt {llm['prompt_tokens']:.0f} tokens, "
            f"max {llm['max_tokens']} new): first token {llm['ttft_ms']:.0f} ms "
            f"(llama.cpp alone {llm['direct_ttft_ms']:.0f} ms), "
            f"{llm['tokens_per_s']} tokens/s (alone {llm['direct_tokens_per_s']}), "
            f"total {llm['total_ms']:.0f} ms (alone {llm['direct_total_ms']:.0f} ms): "
            f"overhead ratio {llm['overhead_ratio']}"
        )
    elif llm.get("skipped"):
        notes.append(f"llamacpp: skipped ({llm['skipped']})")
    cold = [
        f"{name} {result[key]} s"
        for name, key in (
            ("rag --help", "cold_help_s"),
            ("rag ask", "cold_ask_s"),
            ("rag ui", "cold_ui_s"),
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


# --- command line -------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m eval.bench", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--sizes", default="corpus")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--backend", default="extractive,llamacpp")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--scale-reps", type=int, default=1)
    parser.add_argument("--real-embed-max", type=int, default=2_000)
    parser.add_argument("--pool", type=int, default=512)
    parser.add_argument("--no-cold", action="store_true")
    parser.add_argument("--keep", type=Path, help="keep the stores in this folder")
    parser.add_argument("--child-index", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--pool-vectors", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--bulk", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--merge", type=Path, nargs="+", help="bench.json files to combine")
    args = parser.parse_args(argv)
    if args.merge:
        from eval.chart import draw

        print(table(merge(args.merge, args.out)))
        print(draw(json.loads((args.out / "bench.json").read_text()), args.out / "bench.png"))
        return
    if args.child_index:
        result = child_index(args.child_index, args.store, args.pool_vectors, args.bulk)
        print(json.dumps(result))
        return
    config = BenchConfig(
        sizes=[s.strip() for s in args.sizes.split(",") if s.strip()],
        out=args.out,
        backends=[b.strip() for b in args.backend.split(",") if b.strip()],
        reps=args.reps,
        scale_reps=args.scale_reps,
        real_embed_max=args.real_embed_max,
        pool=args.pool,
        cold=not args.no_cold,
        keep=args.keep,
    )
    result = run(config, log=lambda line: print(line, file=sys.stderr, flush=True))
    print(table(result))


if __name__ == "__main__":
    main()
