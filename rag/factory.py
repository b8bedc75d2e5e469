"""Settings in, parts out: the one place that turns configuration into a store, an embedder,
a backend and an answer pipeline. Every entry point and every test that needs a real part
builds it here, so what is tested is what ships."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from index.chunking import ChunkSpec
from index.embedding import make_embedding
from index.store import ChunkStore, StoreError, open_client
from rag.backends.base import Backend, create_backend
from rag.pipeline import AnswerConfig, AnswerPipeline
from rag.retrieval import HybridRetriever, RetrievalConfig
from rag.settings import Settings
from rag.support import EmbeddingCache

if TYPE_CHECKING:  # indexing's modules load only where something is indexed
    from index.indexer import Indexer


def chunk_spec(settings: Settings) -> ChunkSpec:
    return ChunkSpec(settings.chunk_size, settings.chunk_overlap)


def embedder(settings: Settings):
    """The document/query embedding model, loaded once per process."""
    return _embedder(settings.embedding_model, settings.embed_batch_size)


@cache
def _embedder(name: str, batch_size: int):
    return make_embedding(name, embed_batch_size=batch_size)


def sentence_embeddings(settings: Settings) -> EmbeddingCache:
    """Sentence vectors for support scoring, cached across questions."""
    return _sentence_cache(settings.embedding_model, settings.embed_batch_size)


@cache
def _sentence_cache(name: str, batch_size: int) -> EmbeddingCache:
    return EmbeddingCache(_embedder(name, batch_size).get_text_embedding_batch)


def client(settings: Settings):
    """The Chroma client the settings name: a server (RAG_CHROMA_URL or host/port) or embedded."""
    return open_client(
        settings.store_dir,
        settings.chroma_url,
        settings.chroma_token,
        token_header=settings.chroma_token_header,
        ca_file=settings.chroma_ca_file,
        timeout_s=settings.chroma_timeout_s,
    )


def store(settings: Settings, create: bool = False) -> ChunkStore:
    if not settings.chroma_url and not create and not settings.store_dir.exists():
        raise StoreError(f"no index at {settings.store_dir}; build it with `rag index`")
    return ChunkStore(
        client(settings), settings.collection, create=create, retry_s=settings.chroma_retry_s
    )


def indexer(
    settings: Settings, model: Any = None, open_store: Callable[[], ChunkStore] | None = None
) -> Indexer:
    """The one door for writing the index the settings name: `indexer(settings).index(paths)`
    opens the store under its write lock and indexes with the settings' model and chunking (a
    `model` handed in, e.g. a benchmark's timed embedder, is used instead; `open_store`, e.g. a
    server's shared store, instead of opening one)."""
    from index.indexer import Indexer

    return Indexer(
        open_store or (lambda: store(settings, create=True)),
        model or embedder(settings),
        chunk_spec(settings),
        None if settings.chroma_url else settings.store_dir,
    )


_BACKENDS: dict[tuple[str, str], Backend] = {}


def backend(settings: Settings, name: str | None = None, **overrides: Any) -> Backend:
    """One instance per backend and options per process: a local model is loaded once.

    Options come from the backend's own RAG_* variables, then `settings.backend_options[name]`,
    then `overrides`."""
    name = name or settings.backend
    options = settings.backend_options.get(name, {}) | overrides
    key = (name, repr(sorted(options.items())))
    if key not in _BACKENDS:
        _BACKENDS[key] = create_backend(name, embed=sentence_embeddings(settings), **options)
    return _BACKENDS[key]


def retriever(settings: Settings, chunk_store: ChunkStore | None = None) -> HybridRetriever:
    """Over the settings' store, BM25 is cached beside an embedded one (per collection); a
    store handed in, or a Chroma server, gets none: the folder may not be its own."""
    cached = chunk_store is None and not settings.chroma_url
    config = RetrievalConfig(
        top_k=settings.top_k,
        bm25_cache=settings.store_dir / "bm25" / settings.collection if cached else None,
    )
    model = embedder(settings)
    if preload := getattr(model, "preload", None):  # while the store opens
        preload()
    return HybridRetriever(chunk_store or store(settings), model, config)


def pipeline(
    settings: Settings,
    backend_name: str | None = None,
    *,
    chunk_store: ChunkStore | None = None,
    answer_backend: Backend | None = None,
) -> AnswerPipeline:
    """The answer pipeline the settings describe; a store or backend may be handed in (tests,
    benchmarks) and is used as is."""
    chosen = answer_backend or backend(settings, backend_name)
    fallback = settings.fallback if chosen.generative and settings.fallback else None
    return AnswerPipeline(
        retriever(settings, chunk_store),
        chosen,
        AnswerConfig(
            top_k=settings.top_k,
            context_tokens=settings.context_tokens,
            evidence_tokens=settings.evidence_tokens,
            max_question_chars=settings.max_question_chars,
            concise=settings.concise,
        ),
        embed=sentence_embeddings(settings),
        fallback=backend(settings, fallback) if fallback else None,
    )
