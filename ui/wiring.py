"""Settings in, parts out: the one place that turns configuration into objects."""

from __future__ import annotations

from functools import cache
from typing import Any

from index.chunking import ChunkSpec
from index.embedding import make_embedding
from index.store import ChunkStore, open_client
from rag.backends.base import Backend, create_backend
from rag.pipeline import AnswerConfig, AnswerPipeline
from rag.retrieval import HybridRetriever, RetrievalConfig
from rag.support import EmbeddingCache
from ui.settings import Settings


def chunk_spec(settings: Settings) -> ChunkSpec:
    return ChunkSpec(settings.chunk_size, settings.chunk_overlap)


@cache
def embedder(name: str, batch_size: int):
    return make_embedding(name, embed_batch_size=batch_size)


def settings_embedder(settings: Settings):
    return embedder(settings.embedding_model, settings.embed_batch_size)


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
        from index.store import StoreError

        raise StoreError(f"no index at {settings.store_dir}; build it with `rag index`")
    return ChunkStore(
        client(settings), settings.collection, create=create, retry_s=settings.chroma_retry_s
    )


def backend_options(name: str, settings: Settings) -> dict[str, Any]:
    if name == "llamacpp":
        return {
            "model": settings.llm_model,
            "cache_dir": settings.model_cache_dir,
            "threads": settings.llm_threads,
            "max_tokens": settings.llm_max_tokens,
        }
    if name == "openai":
        return {
            "base_url": settings.openai_base_url,
            "model": settings.openai_model,
            "api_key": settings.openai_api_key,
            "timeout": settings.llm_timeout_s,
            "max_tokens": settings.llm_max_tokens,
        }
    return {"embed": sentence_embeddings(settings)}


def sentence_embeddings(settings: Settings) -> EmbeddingCache:
    return _sentence_cache(settings.embedding_model, settings.embed_batch_size)


@cache
def _sentence_cache(name: str, batch_size: int) -> EmbeddingCache:
    return EmbeddingCache(embedder(name, batch_size).get_text_embedding_batch)


_BACKENDS: dict[tuple, Backend] = {}


def backend(name: str, settings: Settings) -> Backend:
    """One instance per backend and options per process: the local model is loaded once."""
    options = backend_options(name, settings)
    key = (name, tuple(sorted((k, repr(v)) for k, v in options.items())))
    if key not in _BACKENDS:
        _BACKENDS[key] = create_backend(name, **options)
    return _BACKENDS[key]


def pipeline(settings: Settings, backend_name: str | None = None) -> AnswerPipeline:
    embed_model = settings_embedder(settings)
    retriever = HybridRetriever(store(settings), embed_model, RetrievalConfig(top_k=settings.top_k))
    return AnswerPipeline(
        retriever,
        backend(backend_name or settings.backend, settings),
        AnswerConfig(
            top_k=settings.top_k,
            context_tokens=settings.context_tokens,
            max_question_chars=settings.max_question_chars,
        ),
        embed=sentence_embeddings(settings),
    )
