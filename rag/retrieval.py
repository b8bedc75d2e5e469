"""Hybrid retrieval: dense (Chroma) and BM25, fused by weighted reciprocal rank fusion.

Adjacent chunks of one document that are both retrieved are merged into one passage, so
the model and the reader see a continuous stretch of text rather than two halves.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from threading import Lock

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import NodeWithScore, TextNode

from index import nlp
from index.layout import Layout
from index.store import ChunkStore
from rag.quotes import touching
from rag.settings import TOP_K
from rag.types import Passage

log = logging.getLogger(__name__)

BM25_RECHECK_S = 1.0  # a re-index by another process reaches BM25 within this time


@dataclass(frozen=True)
class RetrievalConfig:
    top_k: int = TOP_K
    candidates: int = 20  # per retriever, before fusion
    rrf_k: int = 60
    dense_weight: float = 1.0
    sparse_weight: float = 1.0
    merge_neighbours: bool = True
    bm25_cache: Path | None = None  # BM25 saved here per store version, for the next process


@dataclass
class Retrieval:
    passages: list[Passage]
    best_dense: float  # cosine similarity of the closest chunk: the abstention signal
    best_sparse: float


def rrf(rankings: Sequence[tuple[float, Sequence[str]]], k: int) -> dict[str, float]:
    """Weighted reciprocal rank fusion: sum over rankings of weight / (k + rank)."""
    fused: dict[str, float] = {}
    for weight, ids in rankings:
        for rank, chunk_id in enumerate(ids, start=1):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + weight / (k + rank)
    return fused


class HybridRetriever:
    def __init__(self, store: ChunkStore, embedder: BaseEmbedding, config: RetrievalConfig) -> None:
        self.store = store
        self.embedder = embedder
        self.config = config
        self._bm25 = None
        self._version = ""
        self._checked = 0.0
        self._texts: dict[str, str] = {}
        self._layouts: dict[str, Layout] = {}
        self._lock = Lock()

    # BM25 and the cached source texts are rebuilt when the store's documents changed (also
    # when another process re-indexed them); the store is asked at most once per BM25_RECHECK_S.
    def _sparse(self):
        now = time.monotonic()
        if self._bm25 is not None and now - self._checked < BM25_RECHECK_S:
            return self._bm25
        version = self.store.version()
        self._checked = now
        with self._lock:
            if self._bm25 is None or version != self._version:
                self._bm25 = self._load_bm25(version)
                self._texts.clear()
                self._layouts.clear()
                self._version = version
            return self._bm25

    def _load_bm25(self, version: str):
        """BM25 over every chunk: read from the cache if this store version was built before
        (by any process), else built from the store and saved there."""
        from llama_index.retrievers.bm25 import BM25Retriever

        cache = self.config.bm25_cache
        saved = cache / version if cache and version else None
        if saved and saved.is_dir():
            try:
                return BM25Retriever.from_persist_dir(str(saved), show_progress=False)
            except Exception as error:  # a damaged cache is rebuilt, never fatal
                log.warning("rebuilding BM25: the cached copy in %s fails: %s", saved, error)
                shutil.rmtree(saved, ignore_errors=True)
        nodes = self.store.nodes()
        if not nodes:
            return None
        bm25 = BM25Retriever.from_defaults(
            nodes=nodes,
            similarity_top_k=min(self.config.candidates, len(nodes)),
            language="english",
        )
        if saved:
            _save_bm25(bm25, saved)
        return bm25

    def source_text(self, doc_id: str) -> str:
        if doc_id not in self._texts:
            self._texts[doc_id] = self.store.source_text(doc_id) or ""
        return self._texts[doc_id]

    def layout(self, doc_id: str) -> Layout:
        """Where the document's pages and headings start (empty for a plain text)."""
        if doc_id not in self._layouts:
            stored = self.store.document(doc_id)
            self._layouts[doc_id] = stored.layout if stored else Layout()
        return self._layouts[doc_id]

    def retrieve(
        self, query: str, top_k: int | None = None, doc_ids: Sequence[str] | None = None
    ) -> Retrieval:
        top_k = top_k or self.config.top_k
        where = {"doc_id": {"$in": list(doc_ids)}} if doc_ids else None
        embedding = self.embedder.get_query_embedding(query)
        dense = self.store.query(embedding, self.config.candidates, where)
        sparse: list[NodeWithScore] = []
        if bm25 := self._sparse():
            sparse = [
                hit
                for hit in bm25.retrieve(query)
                if not doc_ids or hit.node.metadata.get("doc_id") in doc_ids
            ]
        nodes: dict[str, TextNode] = {n.node_id: n for n, _ in dense}
        nodes.update({hit.node.node_id: hit.node for hit in sparse})
        fused = rrf(
            [
                (self.config.dense_weight, [n.node_id for n, _ in dense]),
                (
                    self.config.sparse_weight,
                    [hit.node.node_id for hit in sparse if (hit.score or 0) > 0],
                ),
            ],
            self.config.rrf_k,
        )
        ranked = sorted(fused, key=fused.__getitem__, reverse=True)[:top_k]
        hits = [(nodes[i], fused[i]) for i in ranked]
        if self.config.merge_neighbours:
            hits = self._merge(hits)
        passages = [self._passage(n, node, score) for n, (node, score) in enumerate(hits, start=1)]
        return Retrieval(
            passages,
            best_dense=max((s for _, s in dense), default=0.0),
            best_sparse=max((hit.score or 0.0 for hit in sparse), default=0.0),
        )

    def _merge(self, hits: list[tuple[TextNode, float]]) -> list[tuple[TextNode, float]]:
        """Merge hits that touch or overlap in the same document; a merged passage ranks
        where its best part ranked."""
        by_doc: dict[str, list[tuple[TextNode, float]]] = {}
        for node, score in hits:
            by_doc.setdefault(node.metadata["doc_id"], []).append((node, score))
        merged: list[tuple[TextNode, float]] = []
        for doc_id, group in by_doc.items():
            group.sort(key=lambda hit: int(hit[0].metadata["start"]))
            (node, score), *rest = group
            start, end = int(node.metadata["start"]), int(node.metadata["end"])
            tokens, found = _tokens(node), set(_entities(node))
            for other, other_score in rest:
                a, b = int(other.metadata["start"]), int(other.metadata["end"])
                if touching(self.source_text(doc_id), (start, end), (a, b)):
                    end, score = max(end, b), max(score, other_score)
                    tokens += _tokens(other)  # overlaps counted twice: an upper bound
                    found |= set(_entities(other))
                    continue
                merged.append((self._span(node, start, end, tokens, found), score))
                node, score, start, end = other, other_score, a, b
                tokens, found = _tokens(other), set(_entities(other))
            merged.append((self._span(node, start, end, tokens, found), score))
        return sorted(merged, key=lambda hit: hit[1], reverse=True)

    def _span(
        self, node: TextNode, start: int, end: int, tokens: int, found: set[nlp.Mention]
    ) -> TextNode:
        if (start, end) == (int(node.metadata["start"]), int(node.metadata["end"])):
            return node
        text = self.source_text(node.metadata["doc_id"])[start:end]
        entities = nlp.dump(sorted(found, key=lambda m: m.start))
        metadata = {**node.metadata, "start": start, "end": end, "tokens": tokens}
        metadata["entities"] = entities
        return TextNode(
            id_=node.node_id, text=text, metadata=metadata, start_char_idx=start, end_char_idx=end
        )

    @staticmethod
    def _passage(n: int, node: TextNode, score: float) -> Passage:
        meta = node.metadata
        return Passage(
            n=n,
            chunk_id=node.node_id,
            doc_id=meta["doc_id"],
            title=meta.get("title", meta["doc_id"]),
            text=node.text,
            start=int(meta["start"]),
            end=int(meta["end"]),
            score=round(score, 6),
            tokens=_tokens(node),
            metadata={k: meta[k] for k in ("publisher", "date", "author") if k in meta},
            entities=_entities(node),
        )


def _tokens(node: TextNode) -> int:
    """The chunk's token count as indexed (0 for a store made before it was recorded)."""
    return int(node.metadata.get("tokens", 0))


def _entities(node: TextNode) -> list[nlp.Mention]:
    """The entities indexing found in the chunk (none for a store made before it did)."""
    return nlp.load(node.metadata.get("entities"))


def _save_bm25(bm25, saved: Path) -> None:
    """Write to a private folder, then rename it into place (a reader never sees half a copy);
    older versions are removed. A cache that cannot be written is only a slower next start."""
    partial = saved.with_name(f".{saved.name}.{os.getpid()}")
    try:
        partial.mkdir(parents=True, exist_ok=True)
        bm25.persist(str(partial), show_progress=False)
        partial.rename(saved)
        for old in saved.parent.iterdir():
            if old != saved and not old.name.startswith("."):
                shutil.rmtree(old, ignore_errors=True)
    except OSError as error:
        log.info("BM25 not cached in %s: %s", saved.parent, error)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
