"""Answer -> HTML: escaping, citation markers, source cards, abstention, errors, documents."""

from __future__ import annotations

from html.parser import HTMLParser

from corpus import SEEDS

from index.layout import Layout
from rag.quotes import paragraph
from rag.services.library import Entry
from rag.types import Answer, AnswerSentence, Citation, Passage
from ui import render

DOC_ID = "004_39dbd394bf72ebd5.txt"
SOURCE = (SEEDS / DOC_ID).read_text(encoding="utf-8")
QUOTE = "the agreement includes 47 articles"
HOSTILE = '<script>window.pwned=1</script><img src=x onerror="window.pwned=1"> ${window.pwned=1}'


def _citation(n: int = 1, quote: str = QUOTE, doc_id: str = DOC_ID, source: str = SOURCE):
    start = source.index(quote)
    before, _, after = paragraph(source, start, start + len(quote))
    return Citation(
        n=n, doc_id=doc_id, title="Strategic partnership", quote=quote, start=start,
        end=start + len(quote), score=0.91, publisher="Stern", author="dpa", date="2025-01-17",
        before=before, after=after,
    )  # fmt: skip


def _passage(n: int = 1, text: str = QUOTE) -> Passage:
    start = SOURCE.index(text)
    return Passage(
        n=n, chunk_id=f"c{n}", doc_id=DOC_ID, title="Strategic partnership", text=text,
        start=start, end=start + len(text), score=0.0328, metadata={"publisher": "Stern"},
    )  # fmt: skip


def _answer(**fields) -> Answer:
    base = {
        "question": "How many articles?",
        "answer": "It has 47 articles. [1]",
        "sentences": [AnswerSentence(text="It has 47 articles.", citations=[1])],
        "citations": [_citation()],
        "retrieved": [_passage()],
        "backend": "extractive",
    }
    return Answer(**{**base, **fields})


class _Tags(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _no_markup(html: str) -> None:
    """Parsed as a browser would: no script or img element, no on* handler, no template."""
    tags = _Tags(html).tags
    assert not [t for t, _ in tags if t in ("script", "img", "b")]
    assert not [a for _, attrs in tags for a in attrs if a.startswith("on")]
    assert "${" not in html


def test_esc_neutralises_html_templates_and_markdown():
    escaped = render.esc(HOSTILE + " `code` *bold* $5 and $6")
    _no_markup(escaped)
    assert "&lt;script&gt;" in escaped and "&#36;&#123;" in escaped
    assert "`" not in escaped and "*" not in escaped and "$" not in escaped


def test_paragraph_expands_to_line_boundaries_and_keeps_the_exact_quote():
    citation = _citation()
    before, quote, after = paragraph(SOURCE, citation.start, citation.end)
    assert quote == SOURCE[citation.start : citation.end] == QUOTE
    line_start = SOURCE.rfind("\n", 0, citation.start) + 1
    assert before == SOURCE[line_start : citation.start].lstrip()
    assert "\n" not in before + after
    assert (before + quote + after) in SOURCE


def test_paragraph_cuts_long_context_at_words():
    source = "word " * 200 + "QUOTE" + " tail" * 200
    start = source.index("QUOTE")
    before, quote, after = paragraph(source, start, start + 5, limit=50)
    assert quote == "QUOTE"
    assert before.startswith("…") and after.endswith("…")
    assert len(before) <= 51 and len(after) <= 51
    assert before[1:].startswith("word") and after.rstrip("…").endswith("tail")


def test_answer_has_markers_linking_to_cards_and_marks_unsupported_sentences():
    answer = _answer(
        sentences=[
            AnswerSentence(text="It has 47 articles.", citations=[1]),
            AnswerSentence(text="It was signed on the Moon.", supported=False),
        ]
    )
    html = render.answer_html(answer, turn=3, seconds=1.24)
    assert '<a class="cite" href="#src-3-1"' in html and ">[1]</a>" in html
    assert '<span class="unsupported"' in html and "signed on the Moon" in html
    assert "not supported" in html
    assert "extractive · 1.2 s</div>" in html
    assert "\n" not in html  # one line: the chat's Markdown passes the block through


def test_an_answer_given_by_another_backend_says_so():
    html = render.answer_html(
        _answer(), turn=1, seconds=0.2, answered_by="extractive while X loads"
    )
    assert "extractive while X loads · 0.2 s</div>" in html


def test_a_status_line_says_which_answer_is_shown_and_a_refined_one_stands_out():
    refining = render.answer_html(_answer(), turn=1, seconds=0.2, status="the model is <b>")
    assert '<div class="status">the model is &lt;b&gt;</div>' in refining
    refined = render.answer_html(_answer(refined_by="llamacpp"), turn=1, seconds=4.0)
    assert '<div class="status refined">refined by llamacpp</div>' in refined  # reopened too
    assert "status" not in render.answer_html(_answer(), turn=1, seconds=0.2)


def test_a_follow_up_shows_the_standalone_question_it_searched():
    answer = _answer(question="And it?", standalone_question="How many articles? And it?")
    html = render.answer_html(answer, turn=2, seconds=0.5)
    assert 'searched for “<span class="read-as">How many articles? And it?</span>”' in html
    same = _answer(standalone_question="How many articles?")
    assert "searched for" not in render.answer_html(same, turn=1, seconds=0.5)


def test_abstention_and_error_look_different_from_answers():
    abstained = render.answer_html(
        _answer(abstained=True, citations=[], sentences=[]), turn=1, seconds=0.3
    )
    assert "The documents don't say." in abstained
    assert 'class="abstain"' in abstained and "cite" not in abstained
    failed = render.answer_html(
        _answer(error="cannot reach the LLM server", backend="openai", citations=[]),
        turn=1,
        seconds=0.3,
    )
    assert 'class="error"' in failed and "cannot reach the LLM server" in failed
    assert "openai" in failed


def test_question_and_streamed_text_are_escaped_single_lines():
    for html in (render.question_html(HOSTILE + "\n\nsecond"), render.streaming_html(HOSTILE)):
        _no_markup(html)
        assert "\n" not in html
    assert "second" in render.question_html("first\n\nsecond")


def test_citation_card_highlights_the_quote_inside_its_paragraph():
    card = render.citation_card(_citation(n=2), 4, show_scores=False)
    assert 'id="src-4-2"' in card
    assert f'<mark class="quote">{QUOTE}</mark>' in card
    assert "Strategic partnership" in card and "Stern" in card and "dpa" in card
    assert "2025-01-17" in card
    assert f'data-doc="{render.esc(DOC_ID)}"' in card
    assert "support" not in card
    scored = render.citation_card(_citation(), 1, True, _passage(n=3))
    assert "support 0.91" in scored and "retrieval 0.0328 (passage 3)" in scored


def test_hostile_document_text_is_shown_as_text_in_cards_and_documents():
    source = f"Intro line.\nBefore {HOSTILE} after.\nLast line."
    quote = "<img src=x onerror"
    citation = _citation(quote=quote, doc_id="evil.txt", source=source)
    citation = citation.model_copy(update={"title": "<b>t</b>"})
    card = render.citation_card(citation, 1, show_scores=True)
    _no_markup(card)
    assert "&lt;img src=x onerror" in card and "&lt;script&gt;" in card
    page = render.document_html(
        "<script>x</script>", {}, source, [(0, len(source))], citation.start, citation.end
    )
    _no_markup(page)
    assert "<mark class='quote' id='doc-quote'>&lt;img src=x onerror</mark>" in page


def test_sources_show_newest_answer_first_and_unfolded():
    first = _answer(question="first question")
    second = _answer(question="second question")
    html = render.sources_html([first, second], show_scores=False)
    assert html.index("second question") < html.index("first question")
    assert '<details class="turn" id="turn-2" open>' in html
    assert '<details class="turn" id="turn-1">' in html
    assert 'id="src-1-1"' in html and 'id="src-2-1"' in html


def test_abstained_and_failed_answers_offer_the_closest_passages():
    passages = [_passage(n=i) for i in range(1, 6)]
    abstained = _answer(abstained=True, citations=[], retrieved=passages)
    html = render.turn_sources(abstained, 1, show_scores=True)
    assert "Closest passages" in html
    assert html.count('class="card passage"') == 3
    assert "retrieval 0.0328" in html
    failed = _answer(error="timeout", citations=[], retrieved=passages)
    assert "Passages retrieved for your question" in render.turn_sources(
        failed, 1, show_scores=False
    )


def test_scores_list_every_retrieved_passage():
    answer = _answer(retrieved=[_passage(1), _passage(2)])
    assert "All retrieved passages" in render.turn_sources(answer, 1, True)
    assert "All retrieved passages" not in render.turn_sources(answer, 1, False)


def test_document_shows_only_the_body_with_the_quote_highlighted():
    citation = _citation()
    body = [(citation.start - 200, citation.end + 200), (citation.end + 400, citation.end + 500)]
    html = render.document_html(
        "Title", {"publisher": "Stern"}, SOURCE, body, citation.start, citation.end
    )
    assert html.count("<mark") == 1 and html.count('class="doc-section"') == 2
    assert f"id='doc-quote'>{QUOTE}</mark>" in html
    gap = SOURCE[citation.end + 220 : citation.end + 380]
    assert render.esc(gap) not in html  # what lies between sections is not shown
    forged = render.document_html("Title", {}, SOURCE, body, 0, len(SOURCE))
    assert render.esc(SOURCE[:200]) not in forged and render.esc(gap) not in forged
    assert forged.count("<mark") == 2  # a range over everything highlights only the body


def test_every_untrusted_field_is_escaped_by_the_templates():
    """Document text, questions, answers, titles, metadata and ids: all shown as text."""
    source = f"{HOSTILE}\n{QUOTE} {HOSTILE}\n{HOSTILE}"
    citation = _citation(doc_id=HOSTILE, source=source).model_copy(
        update={"title": HOSTILE, "publisher": HOSTILE, "author": HOSTILE, "date": HOSTILE}
    )
    passage = _passage().model_copy(
        update={
            "title": HOSTILE,
            "doc_id": HOSTILE,
            "text": source,
            "metadata": {"author": HOSTILE},
        }
    )
    answer = _answer(
        question=HOSTILE,
        standalone_question=HOSTILE + "?",
        sentences=[
            AnswerSentence(text=HOSTILE, citations=[1]),
            AnswerSentence(text=HOSTILE, supported=False),
        ],
        citations=[citation],
        retrieved=[passage],
        backend=HOSTILE,
    )
    no_citations = answer.model_copy(update={"citations": [], "error": HOSTILE})

    chat = [
        render.question_html(HOSTILE),
        render.streaming_html(HOSTILE),
        render.answer_html(answer, 1, 0.1),
        render.answer_html(no_citations, 1, 0.1),
        render.error_html(HOSTILE, HOSTILE),
        render.meta_html(HOSTILE, 0.1, HOSTILE),
    ]
    panels = [
        render.sources_html([answer, no_citations], show_scores=True),
        render.document_html(HOSTILE, {"publisher": HOSTILE}, source, [(0, len(source))], 0, 9),
        render.document_message_html(HOSTILE),
    ]
    for html in chat + panels:
        _no_markup(html)
        assert "<script" not in html and "&lt;script&gt;" in html
    assert all("\n" not in html for html in chat)
    assert f'data-doc="{render.esc(HOSTILE)}"' in panels[0]


def test_a_citation_card_says_where_the_quote_sits():
    paged = _citation().model_copy(update={"page": 3, "section": "Cooperation"})
    assert '<span class="where">p. 3 · Cooperation</span>' in render.citation_card(paged, 1, False)
    assert 'class="where"' not in render.citation_card(_citation(), 1, False)


def test_a_paged_document_marks_its_pages_and_names_the_quote_s_page():
    citation = _citation()
    middle = (citation.start + citation.end) // 2  # page 2 starts inside the body section
    layout = Layout(pages=[0, middle - 300, middle + 300])
    body = [(citation.start - 400, citation.end + 400)]
    html = render.document_html("Title", {}, SOURCE, body, citation.start, citation.end, layout)
    assert '<div class="doc-page">Page 2 of 3</div>' in html
    marks = [f'<div class="page-mark" id="page-{n}">p. {n}</div>' for n in (1, 2, 3)]
    assert all(mark in html for mark in marks)
    assert html.index(marks[1]) < html.index("id='doc-quote'") < html.index(marks[2])
    plain = render.document_html("Title", {}, SOURCE, body, citation.start, citation.end)
    assert "page-mark" not in plain and "doc-page" not in plain


def test_the_library_lists_each_document_and_upload_results_say_what_happened():
    indexed = "2026-11-30T01:02:03+00:00"
    entry = Entry("a.pdf", "<b>Title</b>", "Ada", "2024-01-02", "pdf", 4, 11, indexed)
    html = render.library_html([entry])
    assert "&lt;b&gt;Title&lt;/b&gt;" in html and "Ada · 2024-01-02" in html
    assert "PDF · 4 pages · 11 chunks · indexed 2026-11-30 01:02:03 UTC · a.pdf" in html
    assert "No documents" in render.library_html([])
    rows = render.upload_results_html(
        [
            ("x<y>.pdf", "skipped", "skipped: empty file"),
            ("b.pdf", "indexing", "indexing…"),
            ("c.pdf", "waiting", "waiting…"),
        ]
    )
    assert '<tr class="skipped"><td>x&lt;y&gt;.pdf</td>' in rows
    assert "<td>skipped: empty file</td></tr>" in rows
    # a bar per file: full when done, moving (no value) while indexing, empty while waiting
    assert '<progress value="1" max="1" aria-label="x&lt;y&gt;.pdf: done">' in rows
    assert '<progress aria-label="b.pdf: indexing">' in rows
    assert '<progress value="0" max="1" aria-label="c.pdf: waiting">' in rows
