"""index/nlp.py: entities found once per sentence at index time, stored with each chunk."""

from __future__ import annotations

from index import nlp
from index.chunking import ChunkSpec, chunk_document
from index.documents import read_document

TEXT = (
    "The Eiffel Tower was completed in Paris in 1889.\n"
    "Gustave Eiffel's company built it for about 7.8 million francs.\n"
    "It is 330 metres tall."
)


def test_mentions_are_exact_slices_with_labels():
    found = nlp.mentions(TEXT, [(0, len(TEXT))])
    pieces = {(TEXT[m.start : m.end], m.label) for m in found}
    assert ("Paris", "GPE") in pieces
    assert ("1889", "DATE") in pieces
    assert any(label == "QUANTITY" and "330" in text for text, label in pieces)


def test_mentions_of_several_spans_keep_absolute_offsets():
    second = TEXT.index("Gustave")
    found = nlp.mentions(TEXT, [(0, second - 1), (second, len(TEXT))])
    in_second = [TEXT[m.start : m.end] for m in found if m.start >= second]
    assert any("Gustave" in text for text in in_second)
    assert "Paris" in [TEXT[m.start : m.end] for m in found if m.end < second]


def test_dump_and_load_round_trip_and_an_old_chunk_has_none():
    found = nlp.mentions(TEXT, [(0, len(TEXT))])
    assert nlp.load(nlp.dump(found)) == found
    assert nlp.load(None) == []


def test_every_chunk_carries_the_entities_inside_it(tmp_path):
    path = tmp_path / "tower.txt"
    path.write_text("\n".join([TEXT] * 12), encoding="utf-8")
    doc = read_document("tower.txt", path)
    nodes = chunk_document(doc, ChunkSpec(size=40, overlap=8))
    assert len(nodes) > 3
    for node in nodes:
        start, end = node.metadata["start"], node.metadata["end"]
        found = nlp.load(node.metadata["entities"])
        assert found, "every chunk of this text names something"
        assert all(start <= m.start and m.end <= end for m in found)
        assert any(doc.text[m.start : m.end] == "Paris" for m in found) or "Paris" not in node.text
