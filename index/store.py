"""The Chroma store: one collection of chunks per index, one of documents beside it.

Crash safety: a document is written chunks first, its document record last. A document counts
as indexed only when its record exists and exactly `n_chunks` chunks carry its content hash,
so a run killed at any moment leaves nothing the next run mistakes for done.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llama_index.core.schema import TextNode

from index.documents import SourceDocument

WRITE_BATCH = 256


class StoreError(RuntimeError):
    """A store problem a person can act on; the message says what to do."""


@dataclass(frozen=True)
class StoredDocument:
    doc_id: str
    content_hash: str
    n_chunks: int
    path: str
    metadata: dict[str, str]


def open_client(store_dir: Path | None = None, url: str | None = None, token: str | None = None):
    """An embedded PersistentClient in `store_dir`, or an HttpClient when `url` is given."""
    import chromadb
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False, allow_reset=False)
    if url:
        from urllib.parse import urlparse

        parsed = urlparse(url)
        headers = {"Authorization": f"Bearer {token}"} if token else None
        try:
            return chromadb.HttpClient(
                host=parsed.hostname or "localhost",
                port=parsed.port or (443 if parsed.scheme == "https" else 8000),
                ssl=parsed.scheme == "https",
                headers=headers,
                settings=settings,
            )
        except Exception as error:
            raise StoreError(f"cannot reach the Chroma server at {url}: {error}") from None
    assert store_dir is not None
    store_dir.mkdir(parents=True, exist_ok=True)
    try:
        return chromadb.PersistentClient(path=str(store_dir), settings=settings)
    except Exception as error:
        raise StoreError(
            f"the store at {store_dir} cannot be opened ({error}); "
            f"rebuild it with `rag index --rebuild`"
        ) from None


class ChunkStore:
    def __init__(self, client: Any, name: str = "corpus", create: bool = True) -> None:
        self.client = client
        self.name = name
        try:
            if create:
                self.chunks = client.get_or_create_collection(
                    name, metadata={"hnsw:space": "cosine"}, embedding_function=None
                )
                self.docs = client.get_or_create_collection(
                    f"{name}-documents", embedding_function=None
                )
            else:
                self.chunks = client.get_collection(name, embedding_function=None)
                self.docs = client.get_collection(f"{name}-documents", embedding_function=None)
        except Exception as error:
            if not create:
                raise StoreError(
                    f"no index named {name!r} in the store; build it with `rag index`"
                ) from None
            raise StoreError(
                f"the store cannot be used ({error}); try `rag index --rebuild`"
            ) from None

    # --- reading -------------------------------------------------------------------------
    def documents(self) -> dict[str, StoredDocument]:
        found = self.docs.get(include=["metadatas"])
        return {
            doc_id: StoredDocument(
                doc_id,
                meta["content_hash"],
                int(meta["n_chunks"]),
                meta["path"],
                json.loads(meta["metadata"]),
            )
            for doc_id, meta in zip(found["ids"], found["metadatas"], strict=True)
        }

    def chunk_count(self, doc_id: str | None = None) -> int:
        if doc_id is None:
            return self.chunks.count()
        return len(self.chunks.get(where={"doc_id": doc_id}, include=[])["ids"])

    def is_complete(self, doc: StoredDocument) -> bool:
        found = self.chunks.get(where={"doc_id": doc.doc_id}, include=["metadatas"])
        hashes = {m["content_hash"] for m in found["metadatas"]}
        return len(found["ids"]) == doc.n_chunks and hashes <= {doc.content_hash}

    def source_text(self, doc_id: str) -> str | None:
        found = self.docs.get(ids=[doc_id], include=["documents"])
        return found["documents"][0] if found["ids"] else None

    def nodes(self, where: dict | None = None) -> list[TextNode]:
        """Every chunk as a llama-index node (for BM25 and neighbour lookups)."""
        found = self.chunks.get(where=where, include=["documents", "metadatas"])
        return [
            to_node(i, text, meta)
            for i, text, meta in zip(
                found["ids"], found["documents"], found["metadatas"], strict=True
            )
        ]

    def query(
        self, embedding: Sequence[float], k: int, where: dict | None = None
    ) -> list[tuple[TextNode, float]]:
        """Nearest chunks by cosine similarity (1 - distance), best first."""
        k = min(k, self.chunks.count())
        if k <= 0:
            return []
        found = self.chunks.query(
            query_embeddings=[list(embedding)],
            n_results=k,
            where=where,
            include=["documents", "metadatas", "distances"],
        )
        return [
            (to_node(i, text, meta), 1.0 - dist)
            for i, text, meta, dist in zip(
                found["ids"][0],
                found["documents"][0],
                found["metadatas"][0],
                found["distances"][0],
                strict=True,
            )
        ]

    # --- writing -------------------------------------------------------------------------
    def remove(self, doc_id: str) -> None:
        self.docs.delete(ids=[doc_id])
        self.chunks.delete(where={"doc_id": doc_id})

    def replace(
        self, doc: SourceDocument, nodes: list[TextNode], embeddings: list[list[float]]
    ) -> None:
        """Swap a document's chunks for new ones; the document record is written last."""
        self.remove(doc.doc_id)
        for batch in _batches(list(zip(nodes, embeddings, strict=True)), WRITE_BATCH):
            self.chunks.add(
                ids=[n.node_id for n, _ in batch],
                documents=[n.text for n, _ in batch],
                metadatas=[n.metadata for n, _ in batch],
                embeddings=[e for _, e in batch],
            )
        self.docs.upsert(
            ids=[doc.doc_id],
            documents=[doc.text],
            metadatas=[
                {
                    "content_hash": doc.content_hash,
                    "n_chunks": len(nodes),
                    "path": str(doc.path),
                    "metadata": json.dumps(doc.metadata),
                }
            ],
            embeddings=[[0.0]],
        )

    def drop_orphans(self) -> int:
        """Delete chunks of documents that have no record (a run killed mid-document)."""
        known = set(self.docs.get(include=[])["ids"])
        found = self.chunks.get(include=["metadatas"])
        orphans = {m["doc_id"] for m in found["metadatas"]} - known
        for doc_id in orphans:
            self.chunks.delete(where={"doc_id": doc_id})
        return len(orphans)


def to_node(chunk_id: str, text: str, meta: dict[str, Any]) -> TextNode:
    return TextNode(
        id_=chunk_id,
        text=text,
        metadata=dict(meta),
        start_char_idx=int(meta["start"]),
        end_char_idx=int(meta["end"]),
    )


def _batches(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
