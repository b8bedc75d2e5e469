"""Citations from PDF and Word files say where the quote sits, and verify against the
extracted text the store keeps."""

from __future__ import annotations

import pytest

from index.chunking import ChunkSpec
from index.indexer import index_paths
from index.store import ChunkStore, open_client
from rag import factory
from rag.quotes import verified

QUESTION = "How long is the planned new railway between Iran and Turkey supposed to be?"


@pytest.fixture(scope="module")
def pdf_pipeline(tmp_path_factory, seed_pdfs, embedder, settings):
    store = ChunkStore(open_client(tmp_path_factory.mktemp("pdf-store")), "corpus")
    report = index_paths([seed_pdfs], store, embedder, ChunkSpec(), progress=False)
    assert report.added == 5 and not report.skipped
    return factory.pipeline(settings, "extractive", chunk_store=store), store


def test_a_pdf_citation_names_its_page(pdf_pipeline):
    pipeline, store = pdf_pipeline
    answer = pipeline.ask(QUESTION)
    assert not answer.abstained and answer.citations
    for citation in answer.citations:
        text = store.source_text(citation.doc_id)
        assert verified(text, citation.start, citation.end, citation.quote)
        layout = store.document(citation.doc_id).layout
        assert citation.page is not None
        start = layout.pages[citation.page - 1]
        end = layout.pages[citation.page] if citation.page < len(layout.pages) else len(text)
        assert start <= citation.start < end
        assert answer.to_json_dict()["citations"][citation.n - 1]["page"] == citation.page


def test_a_plain_text_citation_has_no_page(extractive):
    answer = extractive.ask(QUESTION)
    assert answer.citations
    assert all(c.page is None and c.section is None for c in answer.citations)


def test_asking_within_documents_only_cites_them(pdf_pipeline):
    pipeline, _ = pdf_pipeline
    other = "004_39dbd394bf72ebd5.pdf"
    answer = pipeline.ask(QUESTION, doc_ids=[other])
    assert {p.doc_id for p in answer.retrieved} == {other}
    assert all(c.doc_id == other for c in answer.citations)
