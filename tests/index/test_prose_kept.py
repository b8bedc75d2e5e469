"""Prose is never dropped for a word inside it: a chrome phrase counts where the line or the
sentence is chrome, not in running prose; notes, tables and paragraphs without a final full
stop are content too. Each case is the text a reader would lose, and what must still go."""

import pytest

from index.cleaning import clean_text
from index.documents import read_document

OPENING = (
    "The new railway line between the two capitals was opened to freight traffic last month, "
    "after nine years of planning and construction along a difficult mountain route."
)
CLOSING = (
    "Engineers expect the line to carry passengers as well within two years, once the signalling "
    "system has been tested on the busiest sections of the route."
)

IN_PROSE = {
    "sign up": "Several neighbouring states are expected to sign up to the corridor agreement "
    "before the end of the year, officials said on Tuesday.",
    "copyright": "The court ruled that the copyright in the station's design belongs to the "
    "state rail company, not to the architects who drew it.",
    "advertisement": "A government advertisement campaign promoted the project in newspapers and "
    "on television, at a cost the opposition called excessive.",
    "repost": "The ministry asked news agencies not to repost the leaked draft until the final "
    "text of the agreement had been signed by both sides.",
    "first appeared on": "The cracks first appeared on the northern pier in March, and the "
    "engineers closed the bridge for a week of inspections.",
    "subscribe": "Both governments subscribe to the view that the corridor will pay for itself "
    "within fifteen years of its opening.",
}


def kept(text: str) -> str:
    cleaned = clean_text(text)
    return "\n".join(text[s:e] for s, e in cleaned.sections)


@pytest.mark.parametrize("phrase", sorted(IN_PROSE))
def test_a_phrase_inside_prose_keeps_the_paragraph(phrase):
    sentence = IN_PROSE[phrase]
    assert phrase in sentence.lower()
    page = f"{OPENING}\n\n{sentence} {CLOSING}\n\n{OPENING}"
    assert sentence in kept(page)


@pytest.mark.parametrize("phrase", sorted(IN_PROSE))
def test_a_prose_line_with_the_phrase_is_kept_at_the_end_of_the_article(phrase):
    page = f"{OPENING}\n\n{CLOSING}\n\n{IN_PROSE[phrase]}"
    assert IN_PROSE[phrase] in kept(page)


def test_a_republication_note_inside_a_long_paragraph_goes_alone():
    note = "The full article first appeared on Example Weekly."
    paragraph = f"{OPENING} {CLOSING} {note}"
    cleaned = clean_text(paragraph)
    body = cleaned.body(paragraph)
    assert OPENING in body and CLOSING in body
    assert note not in body
    assert any(paragraph[r.start : r.end] == note for r in cleaned.removed)


def test_chrome_lines_and_calls_to_the_reader_still_go():
    calls = "Follow us on Instagram and subscribe to our Telegram channel."
    page = (
        f"Home\nSubscribe to our newsletter\n\n{OPENING}\n\n{CLOSING} {calls}\n\n"
        "Copyright © 2024 Example Media. All rights reserved.\nSign up\n"
    )
    body = kept(page)
    assert OPENING in body and CLOSING in body
    for chrome in ("Subscribe to our newsletter", calls, "All rights reserved", "Sign up"):
        assert chrome not in body, chrome


TABLE_NOTE = (
    "Copa do Mundo da FIFA Brasil 2014. Champions Germany (4th title) Runners-up Argentina "
    "Third place Netherlands Fourth place Brazil Date: 13 July 2014"
)


def test_a_table_like_note_is_content(tmp_path):
    path = tmp_path / "results.txt"
    path.write_text(TABLE_NOTE + "\n", encoding="utf-8")
    doc = read_document(path.name, path)
    assert [doc.text[s:e] for s, e in doc.sections] == [TABLE_NOTE]


def test_a_list_of_short_notes_is_content(tmp_path):
    notes = "Meeting notes\n\n- budget for the spring\n- hire two engineers\n- next review in May\n"
    path = tmp_path / "notes.md"
    path.write_text(notes, encoding="utf-8")
    body = "\n".join(doc_text for doc_text in _kept_lines(path))
    for line in ("budget for the spring", "hire two engineers", "next review in May"):
        assert line in body


def _kept_lines(path):
    doc = read_document(path.name, path)
    return [doc.text[s:e] for s, e in doc.sections]


CITATION_NEEDED = (
    "The bridge was the longest in the region when it opened, and it carried both road and rail "
    "traffic until a second crossing was built downstream in the following decade.[citation needed]"
)


def test_a_paragraph_ending_in_citation_needed_is_prose():
    page = f"{OPENING}\n\n{CLOSING}\n\n{CITATION_NEEDED}"
    assert CITATION_NEEDED in kept(page)
    assert CITATION_NEEDED in kept(CITATION_NEEDED)
