import re
from itertools import pairwise

import pytest
from corpus import BODY_BOUNDS, BOILERPLATE, SEEDS

from index.chunking import ChunkSpec, chunk_document
from index.cleaning import clean_text
from index.documents import read_document


def chunks_of(name: str):
    doc = read_document(name, SEEDS / name)
    return doc, chunk_document(doc, ChunkSpec())


@pytest.mark.parametrize("name", sorted(BOILERPLATE))
def test_boilerplate_never_reaches_a_chunk(name):
    _, nodes = chunks_of(name)
    assert nodes
    for phrase in BOILERPLATE[name]:
        assert (SEEDS / name).read_text(encoding="utf-8").count(phrase), phrase  # the page has it
        assert not any(phrase in node.text for node in nodes), phrase


@pytest.mark.parametrize("name", sorted(BODY_BOUNDS))
def test_every_body_sentence_reaches_a_chunk(name):
    doc, nodes = chunks_of(name)
    first, last = BODY_BOUNDS[name]
    body = doc.text[doc.text.index(first) : doc.text.index(last) + len(last)]
    prose = [
        line.strip()
        for line in body.splitlines()
        if len(line.split()) >= 4 and re.search(r"[.!?:”\"]$", line.strip())
    ]
    assert len(prose) >= 8
    for line in prose:
        assert any(line in node.text for node in nodes) or _covered(line, doc.text, nodes), line


def _covered(line: str, text: str, nodes) -> bool:
    """A long sentence may be cut between chunks: each character must be in some chunk."""
    start = text.index(line)
    covered = set()
    for node in nodes:
        covered.update(range(node.start_char_idx, node.end_char_idx))
    return all(i in covered for i in range(start, start + len(line)) if not text[i].isspace())


@pytest.mark.parametrize("name", sorted(BODY_BOUNDS))
def test_chunk_offsets_are_exact(name):
    _, nodes = chunks_of(name)
    source = (SEEDS / name).read_bytes().decode("utf-8")
    for node in nodes:
        start, end = node.metadata["start"], node.metadata["end"]
        assert source[start:end] == node.text
        assert (node.start_char_idx, node.end_char_idx) == (start, end)


def test_page_metadata_is_kept():
    doc, nodes = chunks_of("003_88517bc1fb036881.txt")
    assert (
        doc.metadata["title"] == "Tehran Summit: Strategic Advancement of the Russia-Iran Alliance"
    )
    assert doc.metadata["author"] == "Abdel Bari Atwan"
    assert doc.metadata["date"] == "2022-07-26"
    assert doc.metadata["publisher"] == "Global Research"
    assert all(n.metadata["title"] == doc.metadata["title"] for n in nodes)
    doc, _ = chunks_of("002_e27121351d9a108d.txt")
    assert doc.metadata["author"] == "Fuad Shahbazov"
    assert doc.metadata["date"] == "2023-09-28"


def test_inline_chrome_splits_the_body_but_keeps_both_halves():
    first = (
        "This opening paragraph of the article says something long enough to count as prose. " * 3
    )
    second = (
        "The closing paragraph of the same article carries on with more real sentences here. " * 3
    )
    page = f"Menu\nHome\n\n{first}\n\nRead also: Some other story\n\n{second}\n\nShare this article"
    cleaned = clean_text(page)
    kept = [page[s:e] for s, e in cleaned.sections]
    assert kept == [first.strip(), second.strip()]


def test_chunks_respect_size_and_overlap():
    from index.chunking import count_tokens

    doc = read_document("000", SEEDS / "000_9e243a5a117bdeca.txt")
    spec = ChunkSpec(size=64, overlap=16)
    nodes = chunk_document(doc, spec)
    assert len(nodes) > 10
    for node in nodes:
        assert count_tokens(node.text) <= spec.size + 8
    shared = [a for a, b in pairwise(nodes) if b.start_char_idx < a.end_char_idx]
    assert shared, "consecutive chunks should overlap by whole sentences"
