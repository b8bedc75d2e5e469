"""The corpora a run indexes: the seeds, or a synthetic size (eval/scale.py), with our chunk
texts (the raw embedder's input) or, above `real_embed_max`, a pool of model vectors to reuse."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from eval.bench.config import SEEDS, BenchConfig, parse_size
from eval.bench.embedders import model_embedder
from eval.stats import timed


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
    """Our chunks' embedded texts, in indexing order (the raw embedder's input); with `limit`,
    the first `limit` distinct ones."""
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


# pool vectors embedded in this run, by a hash of their texts: (.npy path, model chunks/s)
_POOLS: dict[str, tuple[Path, float]] = {}


def prepare(label: str, config: BenchConfig, work: Path) -> Corpus:
    """The corpus of size `label`, its synthetic files written (once) under `config.out`."""
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
