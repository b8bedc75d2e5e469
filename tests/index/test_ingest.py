"""One uploaded file at a time into a real store: indexed, unchanged, updated or skipped, and
nothing half-indexed left behind."""

from __future__ import annotations

import pytest

from index.chunking import ChunkSpec
from index.ingest import ingest, reindex
from index.store import ChunkStore, open_client
from index.uploads import UploadFolder
from rag.services.library import Library

RAILWAY = "000_9e243a5a117bdeca.pdf"


@pytest.fixture
def place(tmp_path, embedder):
    store = ChunkStore(open_client(tmp_path / "store"), "corpus")
    folder = UploadFolder(tmp_path / "store" / "uploads")

    def add(path, name=None, max_bytes=20_000_000):
        return ingest(path, name or path.name, store, embedder, ChunkSpec(), folder, max_bytes)

    return store, folder, add


def test_a_pdf_is_indexed_then_recognised(place, seed_pdfs):
    store, folder, add = place
    first = add(seed_pdfs / RAILWAY)
    assert (first.status, first.doc_id, first.pages) == ("indexed", RAILWAY, 4)
    assert first.chunks == store.chunk_count(RAILWAY) > 0
    assert first.summary() == f"indexed: {first.chunks} chunks, 4 pages"
    again = add(seed_pdfs / RAILWAY, "copy with another name.pdf")
    assert (again.status, again.doc_id, again.chunks) == ("unchanged", RAILWAY, first.chunks)
    assert len(list(folder.root.iterdir())) == 1 and len(store.documents()) == 1


def test_a_changed_file_under_the_same_name_replaces_the_old(place, seed_pdfs):
    store, folder, add = place
    add(seed_pdfs / RAILWAY)
    newer = add(seed_pdfs / "004_39dbd394bf72ebd5.pdf", RAILWAY)
    assert newer.status == "updated"
    assert len(list(folder.root.iterdir())) == 1  # the previous upload is gone
    assert "Moscow" in store.source_text(RAILWAY)


def test_bad_files_leave_nothing_behind(place, tmp_path, seed_pdfs):
    store, folder, add = place
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    renamed = tmp_path / "renamed.docx"
    renamed.write_bytes((seed_pdfs / RAILWAY).read_bytes())
    assert add(empty).reason == "empty file"
    assert "name ends in .docx" in add(renamed).reason
    big = add(seed_pdfs / RAILWAY, max_bytes=1000)
    assert big.status == "skipped" and big.reason.startswith("too large")
    assert store.documents() == {} and store.chunk_count() == 0
    assert not folder.root.exists() or not list(folder.root.iterdir())


def test_remove_drops_the_document_and_its_upload(place, seed_pdfs):
    store, folder, add = place
    add(seed_pdfs / RAILWAY)
    library = Library(store, folder)
    assert [e.format for e in library.entries()] == ["pdf"]
    assert library.remove(RAILWAY)
    assert store.documents() == {} and store.chunk_count() == 0
    assert not list(folder.root.iterdir())
    assert not library.remove(RAILWAY)


def test_reindex_reads_the_kept_file_again(place, seed_pdfs, embedder):
    store, _, add = place
    first = add(seed_pdfs / RAILWAY)
    again = reindex(RAILWAY, store, embedder, ChunkSpec(size=64, overlap=8))
    assert again.status == "updated" and again.chunks > first.chunks
    assert store.chunk_count(RAILWAY) == again.chunks
    assert reindex("nothing.pdf", store, embedder, ChunkSpec()).reason == "not in the index"
