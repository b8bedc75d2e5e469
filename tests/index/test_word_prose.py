"""The seeds as Word files made by pandoc keep the sentences their .txt keeps: one paragraph
per line (`seed_docx`), as pandoc reads the .txt itself (Markdown: adjacent lines become one
paragraph), and article 001 as one long paragraph, as many real .docx files are."""

import subprocess

import pytest
from corpus import BODY_BOUNDS, BOILERPLATE, SEEDS
from documents import need

from index.chunking import ChunkSpec, chunk_document, sentence_spans
from index.documents import read_document

QUOTES = str.maketrans("‘’“”", "''\"\"")  # pandoc's smart quotes


def same(sentence: str) -> str:
    """As the .txt has it: pandoc's Markdown reader writes quotes curly and "$40" as "\\$40"."""
    return " ".join(sentence.split()).translate(QUOTES).replace("\\$", "$")


def kept_sentences(path) -> set[str]:
    doc = read_document(path.name, path)
    nodes = chunk_document(doc, ChunkSpec())
    return {same(node.text[s:e]) for node in nodes for s, e in sentence_spans(node.text)}


@pytest.mark.parametrize("name", sorted(BODY_BOUNDS))
def test_a_seed_as_word_keeps_the_sentences_of_its_text(seed_docx, name):
    from_text = kept_sentences(SEEDS / name)
    from_word = kept_sentences(seed_docx / name.replace(".txt", ".docx"))
    assert len(from_text) >= 10
    assert from_word == from_text


@pytest.mark.parametrize("name", sorted(BODY_BOUNDS))
def test_a_seed_converted_by_pandoc_keeps_the_sentences_of_its_text(tmp_path, name):
    path = tmp_path / name.replace(".txt", ".docx")
    subprocess.run([need("pandoc"), str(SEEDS / name), "-o", str(path)], check=True)
    from_text = kept_sentences(SEEDS / name)
    assert len(from_text) >= 10
    assert kept_sentences(path) == from_text


def test_an_article_as_one_long_word_paragraph_is_indexed(tmp_path):
    name = "001_a9912d943c8d215c.txt"
    text = (SEEDS / name).read_text(encoding="utf-8")
    paragraph = " ".join(text.split())
    path = tmp_path / "001.docx"
    subprocess.run(
        [need("pandoc"), "-f", "markdown", "-t", "docx", "-o", str(path)],
        input=paragraph,
        text=True,
        check=True,
        capture_output=True,
    )
    doc = read_document(path.name, path)
    assert doc.text.count("\n") == 0 and len(doc.text) > 5000  # one paragraph
    kept = " ".join(doc.text[s:e] for s, e in doc.sections)
    first, last = BODY_BOUNDS[name]
    body = " ".join(text[text.index(first) : text.index(last) + len(last)].split())
    assert body in kept
    for phrase in BOILERPLATE[name]:
        assert phrase in doc.text and phrase not in kept
    assert doc.metadata["publisher"] == "Eurasia Daily Monitor"
