"""The indexed documents as readers see them: titles, metadata and the cleaned body."""

from __future__ import annotations

from dataclasses import dataclass

from index.store import ChunkStore
from rag.quotes import merge_spans


@dataclass(frozen=True)
class DocumentView:
    doc_id: str
    title: str
    metadata: dict[str, str]
    text: str  # the whole source text; offsets of chunks and quotes index into it
    body: list[tuple[int, int]]  # the indexed spans (page chrome between them left out)


class Library:
    def __init__(self, store: ChunkStore) -> None:
        self.store = store

    def titles(self) -> dict[str, str]:
        """doc_id -> title, for every indexed document."""
        return {
            doc_id: doc.metadata.get("title") or doc_id
            for doc_id, doc in sorted(self.store.documents().items())
        }

    def view(self, doc_id: str) -> DocumentView | None:
        """An indexed document, or None: never a file read from a given path."""
        doc = self.store.documents().get(doc_id)
        text = self.store.source_text(doc_id) if doc else None
        if doc is None or text is None:
            return None
        spans = [
            (int(n.metadata["start"]), int(n.metadata["end"]))
            for n in self.store.nodes({"doc_id": doc_id})
        ]
        title = doc.metadata.get("title") or doc_id
        return DocumentView(doc_id, title, dict(doc.metadata), text, merge_spans(text, spans))
