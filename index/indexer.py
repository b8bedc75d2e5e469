"""Incremental indexing: read, clean, chunk, embed and store what changed, nothing else."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import MetadataMode
from tqdm import tqdm

from index.chunking import ChunkSpec, chunk_document
from index.cleaning import CLEANING_VERSION
from index.documents import Skipped, discover, read_document
from index.store import ChunkStore

log = logging.getLogger(__name__)


@dataclass
class IndexReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    chunks: int = 0
    tokens: int = 0
    seconds: float = 0.0
    skipped: list[Skipped] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"documents: {self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.removed} removed, {len(self.skipped)} skipped; "
            f"{self.chunks} chunks and {self.tokens} tokens embedded in {self.seconds:.1f} s"
        )


def _version(content_hash: str, spec: ChunkSpec, embedder: BaseEmbedding) -> str:
    """What a document's chunks depend on: its bytes, the cleaning rules, the chunking and the
    embedding model. A change to any of them re-indexes the document."""
    key = f"{content_hash}|{CLEANING_VERSION}|{spec.size}|{spec.overlap}|{embedder.model_name}"
    return hashlib.sha256(key.encode()).hexdigest()


def index_paths(
    paths: Sequence[Path],
    store: ChunkStore,
    embedder: BaseEmbedding,
    spec: ChunkSpec,
    prune: bool = False,
    progress: bool = True,
) -> IndexReport:
    started = time.perf_counter()
    report = IndexReport()
    store.drop_orphans()
    stored = store.documents()
    seen: set[str] = set()
    files = list(discover(paths))
    for doc_id, path in tqdm(files, desc="indexing", unit="doc", disable=not progress):
        seen.add(doc_id)
        try:
            doc = read_document(doc_id, path)
        except ValueError as error:
            report.skipped.append(Skipped(path, str(error)))
            log.warning("skipped %s: %s", path, error)
            continue
        doc.content_hash = _version(doc.content_hash, spec, embedder)
        old = stored.get(doc_id)
        if old and old.content_hash == doc.content_hash and store.is_complete(old):
            report.unchanged += 1
            continue
        nodes = chunk_document(doc, spec)
        texts = [n.get_content(MetadataMode.EMBED) for n in nodes]
        embeddings = embedder.get_text_embedding_batch(texts)
        store.replace(doc, nodes, embeddings)
        report.chunks += len(nodes)
        report.tokens += sum(int(n.metadata["tokens"]) for n in nodes)
        if old:
            report.updated += 1
        else:
            report.added += 1
    if prune:
        gone = [d for d in set(stored) - seen if not Path(stored[d].path).exists()]
        for doc_id in sorted(gone):
            store.remove(doc_id)
            report.removed += 1
    report.seconds = time.perf_counter() - started
    return report
