"""Incremental indexing: read, clean, chunk, embed and store what changed, nothing else."""

from __future__ import annotations

import hashlib
import logging
import shutil
import stat
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import MetadataMode, TextNode
from tqdm import tqdm

from index.chunking import ChunkSpec, chunk_document
from index.cleaning import CLEANING_VERSION
from index.documents import MAX_BYTES, Skipped, SourceDocument, discover, read_document
from index.kept import Kept, kept
from index.lock import write_lock
from index.nlp import ANALYSIS_VERSION
from index.store import ChunkStore, StoredDocument, StoreError, Written, drop_embedded

log = logging.getLogger(__name__)

RESERVE_BYTES = 1 << 20  # kept free on the store's disk
BYTES_PER_CHUNK = 32 << 10  # twice what a chunk takes (vector, text, metadata, write log)


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
    kept: list[tuple[Path, Kept]] = field(default_factory=list)  # per document read

    def summary(self) -> str:
        return (
            f"documents: {self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.removed} removed, {len(self.skipped)} skipped; "
            f"{self.chunks} chunks and {self.tokens} tokens embedded in {self.seconds:.1f} s"
        )


def read_measured(
    doc_id: str, path: Path, max_bytes: int = MAX_BYTES
) -> tuple[SourceDocument, Kept]:
    """Read one file, and record in its metadata how much of it the chunks keep (the Library
    shows it). Raises ValueError as `read_document` does."""
    doc = read_document(doc_id, path, max_bytes)
    found = kept(doc)
    doc.metadata["kept"] = found.figure()
    return doc, found


def _version(content_hash: str, spec: ChunkSpec, embedder: BaseEmbedding) -> str:
    """What a document's chunks depend on: its bytes, the cleaning rules, the sentence analysis,
    the chunking and the embedding model. A change to any of them re-indexes the document."""
    key = (
        f"{content_hash}|{CLEANING_VERSION}|{ANALYSIS_VERSION}|{spec.size}|{spec.overlap}|"
        f"{embedder.model_name}"
    )
    return hashlib.sha256(key.encode()).hexdigest()


def _stored_version(path: Path, spec: ChunkSpec, embedder: BaseEmbedding) -> str | None:
    """The version a file would be stored under, from its bytes alone: an unchanged file is
    recognised without being cleaned and chunked again."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_BYTES:
            return None  # read_document says why
        content_hash = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None
    return _version(content_hash, spec, embedder)


def _ensure_space(store: ChunkStore, doc_id: str, n_chunks: int) -> None:
    """Stop before the disk of an embedded store fills up: Chroma compacts its write log even
    when reading, so a store on a full disk cannot be read until space is freed."""
    settings = store.client.get_settings()
    if not settings.is_persistent:
        return
    need = RESERVE_BYTES + BYTES_PER_CHUNK * n_chunks
    free = shutil.disk_usage(settings.persist_directory).free
    if free < need:
        raise StoreError(
            f"the disk of {store.location} is nearly full: {free / 1e6:.1f} MB free, and {doc_id} "
            f"needs about {need / 1e6:.1f} MB; free some space, then rerun `rag index`: "
            "what is indexed is kept and it resumes"
        )


def index_document(
    doc: SourceDocument, store: ChunkStore, embedder: BaseEmbedding, spec: ChunkSpec
) -> list[TextNode]:
    """Chunk, embed and store one document, replacing what was stored under its id."""
    written = _embedded(doc, store, embedder, spec)
    _write(store, [written])
    return written[1]


def _embedded(
    doc: SourceDocument,
    store: ChunkStore,
    embedder: BaseEmbedding,
    spec: ChunkSpec,
    pending_chunks: int = 0,
) -> Written:
    """The document, its chunks and their vectors, ready to store (with `pending_chunks` more
    waiting to be written, the disk has room for them all)."""
    doc.content_hash = _version(doc.content_hash, spec, embedder)
    nodes = chunk_document(doc, spec)
    _ensure_space(store, doc.doc_id, pending_chunks + len(nodes))
    texts = [n.get_content(MetadataMode.EMBED) for n in nodes]
    return doc, nodes, embedder.get_text_embedding_batch(texts)


def _write(store: ChunkStore, written: list[Written]) -> None:
    try:
        store.replace_many(written)
    except StoreError:
        raise
    except Exception as error:  # e.g. the disk filled up under us
        names = ", ".join(doc.doc_id for doc, _, _ in written)
        raise StoreError(
            f"writing {names} to {store.location} failed ({type(error).__name__}: {error}); "
            "if its disk is full, free some space, then rerun `rag index`: it resumes"
        ) from None


def is_indexed(
    path: Path,
    stored: StoredDocument | None,
    spec: ChunkSpec,
    embedder: BaseEmbedding,
    complete: Callable[[StoredDocument], bool],
) -> bool:
    """The stored document holds exactly this file's bytes, chunked and embedded as now, and
    all of its chunks (`complete`)."""
    return bool(
        stored and stored.content_hash == _stored_version(path, spec, embedder) and complete(stored)
    )


def index_paths(
    paths: Sequence[Path],
    store: ChunkStore,
    embedder: BaseEmbedding,
    spec: ChunkSpec,
    prune: bool = False,
    progress: bool = True,
    batch_chunks: int = 1,
) -> IndexReport:
    """Index what changed under `paths`. Documents are written once `batch_chunks` chunks wait:
    1 writes each as soon as it is embedded; thousands make a big first build faster, and a run
    killed meanwhile loses the waiting documents (the next run indexes them again)."""
    started = time.perf_counter()
    report = IndexReport()
    pending: list[Written] = []
    store.drop_orphans()
    stored = store.documents()
    complete = store.complete(stored)  # one read, not one query per unchanged file
    seen: set[str] = set()
    files = list(discover(paths))
    for doc_id, path in tqdm(files, desc="indexing", unit="doc", disable=not progress):
        seen.add(doc_id)
        old = stored.get(doc_id)
        if is_indexed(path, old, spec, embedder, lambda doc: doc.doc_id in complete):
            report.unchanged += 1
            continue
        try:
            doc, found = read_measured(doc_id, path)
        except ValueError as error:
            report.skipped.append(Skipped(path, str(error)))
            log.warning("skipped %s: %s", path, error)
            continue
        report.kept.append((path, found))
        waiting = sum(len(nodes) for _, nodes, _ in pending)
        pending.append(_embedded(doc, store, embedder, spec, waiting))
        nodes = pending[-1][1]
        if waiting + len(nodes) >= batch_chunks:
            _write(store, pending)
            pending = []
        report.chunks += len(nodes)
        report.tokens += sum(int(n.metadata["tokens"]) for n in nodes)
        if old:
            report.updated += 1
        else:
            report.added += 1
    if pending:
        _write(store, pending)
    if prune:
        gone = [d for d in set(stored) - seen if not Path(stored[d].path).exists()]
        for doc_id in sorted(gone):
            store.remove(doc_id)
            report.removed += 1
    report.seconds = time.perf_counter() - started
    return report


@dataclass
class Indexer:
    """The one door for writing an index (`rag.factory.indexer` builds it from the settings):
    the store opened for writing, the embedding model and chunking every writer shares, and
    the write lock of an embedded store."""

    open_store: Callable[[], ChunkStore]
    embedder: BaseEmbedding
    spec: ChunkSpec
    store_dir: Path | None = None  # an embedded store's folder; None: a server orders writers

    @cached_property
    def store(self) -> ChunkStore:
        return self.open_store()

    def writing(self) -> AbstractContextManager[None]:
        """Hold it while writing: one writer at a time per embedded store, across processes."""
        return nullcontext() if self.store_dir is None else write_lock(self.store_dir)

    def index(
        self,
        paths: Sequence[Path],
        *,
        prune: bool = False,
        rebuild: bool = False,
        progress: bool = True,
        batch_chunks: int = 1,
    ) -> IndexReport:
        """`index_paths` under the write lock; `rebuild` drops the index first."""
        with self.writing():
            if rebuild:
                self.drop()
            return index_paths(
                paths,
                self.store,
                self.embedder,
                self.spec,
                prune=prune,
                progress=progress,
                batch_chunks=batch_chunks,
            )

    def drop(self) -> None:
        """Delete the index: on a server, this collection; embedded, the whole store, even one
        too damaged to open (the lock and others' files in its folder stay)."""
        if self.store_dir is None:
            self.store.drop()
        else:
            drop_embedded(self.store_dir)
        self.__dict__.pop("store", None)
