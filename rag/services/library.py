"""The indexed documents as readers see them: titles, metadata and the cleaned body."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from index.layout import Layout
from index.store import ChunkStore
from index.uploads import UploadFolder
from rag.quotes import merge_spans


@dataclass(frozen=True)
class DocumentView:
    doc_id: str
    title: str
    metadata: dict[str, str]
    text: str  # the whole source text; offsets of chunks and quotes index into it
    body: list[tuple[int, int]]  # the indexed spans (page chrome between them left out)
    layout: Layout


@dataclass(frozen=True)
class Entry:
    """One row of the library."""

    doc_id: str
    title: str
    author: str
    date: str
    format: str  # the file's suffix: pdf, docx, html, md, txt
    pages: int | None
    chunks: int
    indexed_at: str
    kept: str = ""  # how much of the file its chunks keep ("kept 4,210 of 5,020 characters…")


class Library:
    def __init__(self, store: ChunkStore, uploads: UploadFolder | None = None) -> None:
        self.store = store
        self.uploads = uploads

    def titles(self) -> dict[str, str]:
        """doc_id -> title, for every indexed document."""
        return {entry.doc_id: entry.title for entry in self.entries()}

    def entries(self) -> list[Entry]:
        """Every indexed document, by doc id."""
        return [
            Entry(
                doc_id,
                doc.metadata.get("title") or doc_id,
                doc.metadata.get("author", ""),
                doc.metadata.get("date", ""),
                Path(doc.path).suffix.lstrip(".").lower() or Path(doc_id).suffix.lstrip("."),
                len(doc.layout.pages) or None,
                doc.n_chunks,
                doc.indexed_at,
                doc.metadata.get("kept", ""),
            )
            for doc_id, doc in sorted(self.store.documents().items())
        ]

    def examples(self, limit: int) -> list[str]:
        """Questions to offer a new reader: one per document that has a title of its own."""
        titled = [e.title for e in self.entries() if e.title != e.doc_id]
        return [f"What does “{title}” report?" for title in titled[:limit]]

    def remove(self, doc_id: str) -> bool:
        """Drop a document from the index, and its uploaded file if nothing else uses it."""
        documents = self.store.documents()
        doc = documents.pop(doc_id, None)
        if doc is None:
            return False
        self.store.remove(doc_id)
        if self.uploads and all(other.path != doc.path for other in documents.values()):
            self.uploads.discard(Path(doc.path))
        return True

    def view(self, doc_id: str) -> DocumentView | None:
        """An indexed document, or None: never a file read from a given path."""
        doc = self.store.document(doc_id)
        text = self.store.source_text(doc_id) if doc else None
        if doc is None or text is None:
            return None
        spans = [
            (int(n.metadata["start"]), int(n.metadata["end"]))
            for n in self.store.nodes({"doc_id": doc_id})
        ]
        title = doc.metadata.get("title") or doc_id
        body = merge_spans(text, spans)
        return DocumentView(doc_id, title, dict(doc.metadata), text, body, doc.layout)
