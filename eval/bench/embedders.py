"""The embedders an index build is timed with: the real model, a timing wrapper around any
embedder, and the pooled stand-in for the model at large sizes (see `eval.bench`)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import Field, PrivateAttr

NOISE = 0.3  # perturbation of a reused vector (cosine to its pool vector about 0.96)


@cache
def model_embedder() -> BaseEmbedding:
    """The real embedding model `rag` uses, loaded and warmed up once per process."""
    from rag import factory
    from rag.settings import Settings

    model = factory.embedder(Settings())
    model.get_text_embedding_batch(["warm up the model"])
    return model


class TimedEmbedding(BaseEmbedding):
    """Passes through to another embedder, adds up the seconds its text embedding took and
    keeps the texts, so that `tokens()` can count what was embedded afterwards (off the clock):
    pipelines that cut their texts differently compare by tokens embedded per second."""

    model_name: str = "timed"
    seconds: float = 0.0
    texts: list[str] = Field(default_factory=list)
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
        return self._get_text_embeddings([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        self.texts.extend(texts)
        return self._clock(lambda: self._inner.get_text_embedding_batch(texts))

    def tokens(self) -> int:
        """Word pieces the model reads of every text embedded so far: a text longer than the
        model's window counts only as far as the model reads it."""
        return model_embedder().count_tokens(self.texts)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)


class PooledEmbedding(BaseEmbedding):
    """Index-time stand-in for the model at large sizes (see `eval.bench`).

    A text gets the pool vector its hash picks, plus a small perturbation seeded by the same
    hash, normalised: deterministic, distinct per text, about 20 µs per text. Queries go to
    the real model when one is given.
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
