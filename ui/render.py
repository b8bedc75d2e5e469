"""Answer -> HTML for the chat page. Pure functions: no Gradio, no store, easy to test.

Everything that comes from a document, a question or a model is untrusted text: it goes
through `esc`, which escapes HTML and also the characters that Gradio's HTML templates
(`${...}`), Markdown and LaTeX would otherwise interpret. Chat messages are single-line
`<div>` blocks, so the chat's Markdown renderer passes them through untouched.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence

from rag.types import Answer, Citation, Passage

Source = tuple[str, dict[str, str]]  # a document's source text and its metadata
Lookup = Callable[[str], Source]  # doc_id -> Source

CONTEXT_CHARS = 320  # at most this much paragraph on each side of a quote in a card
PASSAGE_CHARS = 420  # closest passages are cut to this length in cards
_ENTITIES = str.maketrans({"$": "&#36;", "{": "&#123;", "}": "&#125;", "`": "&#96;"})
_ENTITIES.update({ord("\\"): "&#92;", ord("*"): "&#42;", ord("_"): "&#95;", ord("~"): "&#126;"})


def esc(text: str) -> str:
    """Escape untrusted text for HTML, Gradio templates and Markdown alike."""
    return html.escape(text, quote=True).translate(_ENTITIES)


def _lines(text: str) -> str:
    """Escaped text on one line: newlines become <br> (a blank line would end the HTML block)."""
    return "<br>".join(esc(line) for line in text.strip().splitlines())


def question_html(question: str) -> str:
    return f'<div class="q">{_lines(question)}</div>'


def streaming_html(text: str) -> str:
    return f'<div class="answer streaming">{_lines(text)}<span class="cursor"></span></div>'


def pending_html() -> str:
    return '<div class="answer streaming"><span class="dots">Searching the documents</span></div>'


def meta_html(backend: str, seconds: float, read_as: str = "") -> str:
    """Backend and time under an answer; for a follow-up, the standalone question searched."""
    searched = f' · searched for “<span class="read-as">{esc(read_as)}</span>”' if read_as else ""
    return f'<div class="meta">{esc(backend)} · {seconds:.1f} s{searched}</div>'


def answer_html(answer: Answer, turn: int, seconds: float) -> str:
    """The final chat message: cited sentences, abstention, or an error, then backend and time."""
    if answer.error:
        body = error_html(
            f"The {answer.backend} backend failed: {answer.error}",
            "The passages retrieved for your question are in the sources panel.",
        )
    elif answer.abstained:
        body = (
            '<div class="abstain"><div class="abstain-title">The documents don\'t say.</div>'
            "None of the indexed documents answers this question. The closest passages are in "
            "the sources panel, in case they help.</div>"
        )
    else:
        body = f'<div class="answer">{_sentences(answer, turn)}</div>'
    standalone = answer.standalone_question
    read_as = standalone if standalone and standalone != answer.question else ""
    return f"<div>{body}{meta_html(answer.backend, seconds, read_as)}</div>"


def _sentences(answer: Answer, turn: int) -> str:
    if not answer.sentences:
        return _lines(answer.answer)
    parts = []
    for sentence in answer.sentences:
        if not sentence.supported:
            parts.append(
                '<span class="unsupported" title="No passage in the documents supports this '
                f'sentence">{_lines(sentence.text)}</span>'
            )
            continue
        markers = "".join(
            f'<a class="cite" href="#src-{turn}-{n}" title="Show source {n}">[{n}]</a>'
            for n in sentence.citations
        )
        parts.append(f'<span class="supported">{_lines(sentence.text)}</span>{markers}')
    note = ""
    if any(not s.supported for s in answer.sentences):
        note = (
            '<div class="note">Sentences in grey italics are not supported by any passage '
            "in the documents.</div>"
        )
    return " ".join(parts) + note


def error_html(message: str, hint: str = "") -> str:
    hint_html = f'<div class="hint">{esc(hint)}</div>' if hint else ""
    return f'<div class="error"><strong>⚠ {_lines(message)}</strong>{hint_html}</div>'


# --- the sources panel -------------------------------------------------------------------


def paragraph(
    source: str, start: int, end: int, limit: int = CONTEXT_CHARS
) -> tuple[str, str, str]:
    """(before, quote, after): the quote inside its paragraph, cut to `limit` chars each side.

    The paragraph runs from the line break before the quote to the line break after it;
    a cut side is shortened to a word boundary and marked with an ellipsis.
    """
    left = source.rfind("\n", 0, start) + 1
    right = source.find("\n", end)
    right = len(source) if right == -1 else right
    before, after = source[left:start], source[end:right]
    if len(before) > limit:
        cut = before[-limit:]
        before = "…" + cut[cut.find(" ") + 1 :] if " " in cut else "…" + cut
    if len(after) > limit:
        cut = after[:limit]
        after = (cut[: cut.rfind(" ")] if " " in cut else cut) + "…"
    return before.lstrip(), source[start:end], after.rstrip()


def _byline(title: str, metadata: dict[str, str | None]) -> str:
    details = [metadata.get(key) for key in ("publisher", "author", "date")]
    byline = " · ".join(esc(d) for d in details if d)
    return f'<div class="card-title">{esc(title)}</div>' + (
        f'<div class="byline">{byline}</div>' if byline else ""
    )


def _open_button(doc_id: str, start: int, end: int, label: str) -> str:
    return (
        f'<button class="open-doc" data-doc="{esc(doc_id)}" data-start="{start}" '
        f'data-end="{end}" title="Open the whole cleaned document at this passage">{label}</button>'
    )


def citation_card(
    citation: Citation,
    turn: int,
    source: Source,
    show_scores: bool,
    passage: Passage | None = None,
) -> str:
    text, metadata = source
    before, quote, after = paragraph(text, citation.start, citation.end)
    scores = ""
    if show_scores:
        retrieval = f" · retrieval {passage.score:.4f} (passage {passage.n})" if passage else ""
        scores = f'<span class="score">support {citation.score:.2f}{retrieval}</span>'
    meta = {"publisher": citation.publisher, "date": citation.date, **metadata}
    return (
        f'<article class="card" id="src-{turn}-{citation.n}">'
        f'<div class="card-head"><span class="num">[{citation.n}]</span>'
        f"<div>{_byline(citation.title, meta)}</div></div>"
        f'<blockquote class="para">{esc(before)}<mark class="quote">{esc(quote)}</mark>'
        f"{esc(after)}</blockquote>"
        f'<div class="card-foot">{scores}'
        f"{_open_button(citation.doc_id, citation.start, citation.end, 'Open in document')}"
        "</div></article>"
    )


def passage_card(passage: Passage, turn: int, show_scores: bool) -> str:
    text = re.sub(r"\n\s*\n", "\n", passage.text.strip())
    if len(text) > PASSAGE_CHARS:
        text = text[:PASSAGE_CHARS].rsplit(" ", 1)[0] + "…"
    score = f'<span class="score">retrieval {passage.score:.4f}</span>' if show_scores else ""
    return (
        f'<article class="card passage" id="psg-{turn}-{passage.n}">'
        f'<div class="card-head"><span class="num">{passage.n}</span>'
        f"<div>{_byline(passage.title, passage.metadata)}</div></div>"
        f'<blockquote class="para">{esc(text)}</blockquote>'
        f'<div class="card-foot">{score}'
        f"{_open_button(passage.doc_id, passage.start, passage.end, 'Open in document')}"
        "</div></article>"
    )


def _containing(citation: Citation, passages: Sequence[Passage]) -> Passage | None:
    for passage in passages:
        if passage.doc_id == citation.doc_id and passage.start <= citation.start < passage.end:
            return passage
    return None


def turn_sources(answer: Answer, turn: int, lookup: Lookup, show_scores: bool) -> str:
    """The cards for one answer: its citations, or the closest passages when it has none."""
    if answer.citations:
        cards = [
            citation_card(c, turn, lookup(c.doc_id), show_scores, _containing(c, answer.retrieved))
            for c in answer.citations
        ]
        if show_scores:
            cards.append(_retrieved_list(answer.retrieved))
        return "".join(cards)
    if not answer.retrieved:
        return '<p class="empty">Nothing was retrieved for this question.</p>'
    label = (
        "Passages retrieved for your question"
        if answer.error
        else "Closest passages — none of them answers the question"
    )
    cards = "".join(passage_card(p, turn, show_scores) for p in answer.retrieved[:3])
    return f'<p class="label">{label}</p>{cards}'


def _retrieved_list(passages: Sequence[Passage]) -> str:
    rows = "".join(
        f"<li><span class='score'>{p.score:.4f}</span> {esc(p.title)} "
        f"<span class='where'>{esc(p.doc_id)} {p.start}–{p.end}</span></li>"
        for p in passages
    )
    return (
        f'<div class="retrieved"><p class="label">All retrieved passages</p><ol>{rows}</ol></div>'
    )


def sources_html(answers: Sequence[Answer], lookup: Lookup, show_scores: bool) -> str:
    """Every answer's sources, newest first; only the newest is unfolded. answers[i] is turn i+1."""
    sections = []
    for i in range(len(answers) - 1, -1, -1):
        answer, turn = answers[i], i + 1
        count = len(answer.citations)
        summary = (
            f"{count} source{'s' if count != 1 else ''}"
            if count
            else ("error" if answer.error else "no answer")
        )
        sections.append(
            f'<details class="turn" id="turn-{turn}"{" open" if turn == len(answers) else ""}>'
            f'<summary><span class="turn-n">Answer {turn}</span> {esc(short(answer.question))}'
            f' <span class="turn-count">{summary}</span></summary>'
            f"{turn_sources(answer, turn, lookup, show_scores)}</details>"
        )
    return "".join(sections) or empty_sources_html()


def short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def empty_sources_html() -> str:
    return (
        '<div class="empty">Sources appear here: for every answer, the exact quotes it rests '
        "on, each inside its paragraph. Click a marker like <b>[1]</b> in an answer to jump to "
        "its source.</div>"
    )


# --- the document viewer ------------------------------------------------------------------


def document_html(
    title: str,
    metadata: dict[str, str],
    text: str,
    sections: Sequence[tuple[int, int]],
    start: int,
    end: int,
) -> str:
    """The cleaned document (its body sections, as indexed), with [start, end) highlighted.

    Only the body is ever shown, whatever range is asked for: page chrome between sections is
    left out (a thin rule marks the gap), and a range outside the body highlights nothing.
    """
    parts = []
    for a, b in sorted(sections):
        s, e = max(a, start), min(b, end)
        if s < e:
            anchor = "" if parts and "<mark" in "".join(parts) else " id='doc-quote'"
            body = (
                f"{esc(text[a:s])}<mark class='quote'{anchor}>{esc(text[s:e])}</mark>"
                f"{esc(text[e:b])}"
            )
        else:
            body = esc(text[a:b])
        parts.append(f'<div class="doc-section">{body}</div>')
    return (
        f'<div class="doc"><div class="doc-head">{_byline(title, metadata)}</div>'
        f'<div class="doc-body">{"<hr>".join(parts)}</div></div>'
    )


def document_message_html(message: str) -> str:
    return f'<div class="empty">{esc(message)}</div>'
