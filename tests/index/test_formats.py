"""PDF and Word versions of the seeds, made by chromium and pandoc: the same cleaning holds
(boilerplate absent, every body sentence present, exact offsets) and pages and headings are
recorded."""

import re

import pytest
from corpus import BODY_BOUNDS, BOILERPLATE, SEEDS
from documents import write_docx

from index.chunking import ChunkSpec, chunk_document
from index.documents import read_document

# What chromium prints on every page: the date and time, the file's URL and "n/N".
FURNITURE = (re.compile(r"\d{1,2}/\d{1,2}/\d{2}, \d{1,2}:\d{2}"), re.compile(r"file://"))


def normalise(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(params=["pdf", "docx"])
def converted(request, seed_pdfs, seed_docx):
    return seed_pdfs if request.param == "pdf" else seed_docx, f".{request.param}"


def chunks_of(folder, suffix, name):
    path = folder / name.replace(".txt", suffix)
    doc = read_document(path.name, path)
    return doc, chunk_document(doc, ChunkSpec())


@pytest.mark.parametrize("name", sorted(BOILERPLATE))
def test_boilerplate_never_reaches_a_chunk(converted, name):
    doc, nodes = chunks_of(*converted, name)
    assert nodes
    for phrase in BOILERPLATE[name]:
        assert normalise(phrase) in normalise(doc.text), phrase  # the file has it
        assert not any(normalise(phrase) in normalise(node.text) for node in nodes), phrase


@pytest.mark.parametrize("name", sorted(BOILERPLATE))
def test_running_headers_and_footers_never_reach_a_chunk(seed_pdfs, name):
    doc, nodes = chunks_of(seed_pdfs, ".pdf", name)
    for pattern in FURNITURE:
        assert pattern.search(doc.text), pattern  # printed on the pages
        assert not any(pattern.search(node.text) for node in nodes), pattern


@pytest.mark.parametrize("name", sorted(BODY_BOUNDS))
def test_every_body_sentence_reaches_a_chunk(converted, name):
    """Every prose line of the .txt body is in the chunks, whitespace normalised (a PDF wraps
    lines); a sentence cut by a page break is found in the chunks with the footer left out."""
    doc, nodes = chunks_of(*converted, name)
    text = (SEEDS / name).read_text(encoding="utf-8")
    first, last = BODY_BOUNDS[name]
    body = text[text.index(first) : text.index(last) + len(last)]
    prose = [
        normalise(line)
        for line in body.splitlines()
        if len(line.split()) >= 4 and re.search(r"[.!?:”\"]$", line.strip())
    ]
    assert len(prose) >= 8
    covered = {i for node in nodes for i in range(node.start_char_idx, node.end_char_idx)}
    chunked = normalise("".join(c if i in covered else " " for i, c in enumerate(doc.text)))
    for line in prose:
        assert line in chunked, line


@pytest.mark.parametrize("name", sorted(BODY_BOUNDS))
def test_chunk_offsets_are_exact(converted, name):
    doc, nodes = chunks_of(*converted, name)
    again = read_document(doc.doc_id, doc.path)  # extraction is deterministic
    assert again.text == doc.text
    for node in nodes:
        start, end = node.metadata["start"], node.metadata["end"]
        assert doc.text[start:end] == node.text


def test_pdf_pages_are_recorded(seed_pdfs):
    doc, nodes = chunks_of(seed_pdfs, ".pdf", "002_e27121351d9a108d.txt")
    assert len(doc.layout.pages) >= 3
    sentence = BODY_BOUNDS["002_e27121351d9a108d.txt"][1]  # the article's last sentence
    page = doc.layout.page_at(doc.text.index(sentence))
    assert page is not None and page > 1
    starts = doc.layout.pages
    assert sentence in doc.text[starts[page - 1] : starts[page] if page < len(starts) else None]
    pages = [n.metadata["page"] for n in nodes]
    assert pages == sorted(pages) and pages[0] == 1 and pages[-1] == page


def test_docx_headings_and_metadata(tmp_path):
    source = tmp_path / "notes.txt"
    source.write_text(
        "Field notes on the railway\n\n## Lake Van\n\nThe line is interrupted at Lake Van, and "
        "wagons must be carried across the lake by ferries, which takes a long time.\n\n## Cost"
        "\n\nThe new railway is expected to cost about two billion dollars in all, say officials.\n"
    )
    path = write_docx(source, tmp_path / "notes.docx", author="Ada Lovelace")
    doc = read_document(path.name, path)
    assert doc.metadata["title"] == "Field notes on the railway"
    assert doc.metadata["author"] == "Ada Lovelace"
    assert doc.layout.heading_at(doc.text.index("two billion")) == "Cost"
    assert doc.layout.heading_at(doc.text.index("ferries")) == "Lake Van"
    assert doc.layout.page_at(0) is None


def test_pdf_metadata_title_that_is_a_file_name_is_not_the_title(seed_pdfs):
    doc, _ = chunks_of(seed_pdfs, ".pdf", "003_88517bc1fb036881.txt")
    # chromium sets the PDF's title to the printed file's name; the article's headline wins
    assert (
        doc.metadata["title"] == "Tehran Summit: Strategic Advancement of the Russia-Iran Alliance"
    )
    assert doc.metadata["author"] == "Abdel Bari Atwan"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", doc.metadata["date"])  # the PDF's creation date


def test_markdown_headings_are_recorded(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text(
        "# Field notes\n\n## Lake Van\n\nThe line is interrupted at Lake Van, and wagons must be "
        "carried across the lake by ferries, which takes a long time.\n\n## Cost ##\n\nThe new "
        "railway is expected to cost about two billion dollars in all, officials say.\n"
    )
    doc = read_document(path.name, path)
    assert doc.layout.heading_at(doc.text.index("ferries")) == "Lake Van"
    assert doc.layout.heading_at(doc.text.index("two billion")) == "Cost"
    assert doc.layout.heading_at(0) == "Field notes"
    plain = path.with_suffix(".txt")
    plain.write_text(path.read_text())
    assert read_document(plain.name, plain).layout.headings == []  # only Markdown has headings
