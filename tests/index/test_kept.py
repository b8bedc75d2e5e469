"""What a document's chunks keep of it: the figure `rag index` prints and the Library shows."""

from corpus import SEEDS

from index.documents import read_document
from index.kept import kept, removals


def test_the_figure_adds_up_to_the_whole_text():
    doc = read_document("003", SEEDS / "003_88517bc1fb036881.txt")
    found = kept(doc)
    whole = len("".join(doc.text.split()))
    assert found.total_chars == whole  # every character kept or removed, none twice
    assert found.chars == sum(len("".join(doc.text[s:e].split())) for s, e in doc.sections)
    assert 0 < found.prose <= found.total_prose < found.total_sentences
    assert all(rule and text.strip() for rule, text in removals(doc))


def test_a_list_of_headlines_is_not_prose_lost():
    """A news page's 'Latest news' list is most of its lines, not most of its prose."""
    found = kept(read_document("002", SEEDS / "002_e27121351d9a108d.txt"))
    assert found.sentences * 2 < found.total_sentences
    assert not found.low
