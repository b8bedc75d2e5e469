"""One file at a time into the index, as an upload page needs it: a result per file (indexed,
updated, unchanged or skipped with the reason), and nothing half-indexed left behind."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from llama_index.core.base.embeddings.base import BaseEmbedding

from index.chunking import ChunkSpec
from index.indexer import index_document, is_indexed, read_measured
from index.store import ChunkStore, StoreError
from index.uploads import UploadFolder, safe_name


@dataclass(frozen=True)
class FileResult:
    name: str  # as uploaded
    status: str  # "indexed" | "updated" | "unchanged" | "skipped"
    doc_id: str = ""
    chunks: int = 0
    pages: int | None = None
    reason: str = ""

    def summary(self) -> str:
        if self.status == "skipped":
            return f"skipped: {self.reason}"
        pages = f", {self.pages} page{'s' * (self.pages != 1)}" if self.pages else ""
        return f"{self.status}: {self.chunks} chunks{pages}"


def ingest(
    source: Path,
    name: str,
    store: ChunkStore,
    embedder: BaseEmbedding,
    spec: ChunkSpec,
    folder: UploadFolder,
    max_bytes: int,
) -> FileResult:
    """Keep an uploaded file (by content hash) and index it under its sanitised name."""
    doc_id = safe_name(name)
    size = source.stat().st_size
    if size > max_bytes:
        return FileResult(
            name, "skipped", reason=f"too large ({size:,} bytes; the limit is {max_bytes:,})"
        )
    kept = folder.keep(source, name)
    stored = store.documents()
    for same in stored.values():
        if Path(same.path) == kept and is_indexed(kept, same, spec, embedder, store.is_complete):
            pages = len(same.layout.pages) or None
            return FileResult(name, "unchanged", same.doc_id, same.n_chunks, pages)
    old = stored.get(doc_id)
    in_use = {Path(d.path) for d in stored.values()}
    try:
        doc, _ = read_measured(doc_id, kept, max_bytes)
        nodes = index_document(doc, store, embedder, spec)
    except (ValueError, StoreError) as error:
        store.remove(doc_id)  # a write that failed half-way leaves no chunks behind
        if kept not in in_use:
            folder.discard(kept)
        return FileResult(name, "skipped", reason=str(error))
    if old and Path(old.path) != kept and list(in_use).count(Path(old.path)) == 1:
        folder.discard(Path(old.path))  # the previous upload under this name
    pages = len(doc.layout.pages) or None
    return FileResult(name, "updated" if old else "indexed", doc_id, len(nodes), pages)


def reindex(doc_id: str, store: ChunkStore, embedder: BaseEmbedding, spec: ChunkSpec) -> FileResult:
    """Read an indexed document's file again and replace its chunks."""
    stored = store.document(doc_id)
    if stored is None:
        return FileResult(doc_id, "skipped", reason="not in the index")
    try:
        doc, _ = read_measured(doc_id, Path(stored.path))
        nodes = index_document(doc, store, embedder, spec)
    except ValueError as error:
        return FileResult(doc_id, "skipped", doc_id, reason=str(error))
    return FileResult(doc_id, "updated", doc_id, len(nodes), len(doc.layout.pages) or None)
