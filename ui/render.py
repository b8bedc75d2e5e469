"""Answer -> HTML for the chat page. Pure functions: no Gradio, no store, easy to test.

The markup lives in Jinja2 macros (ui/templates); these functions choose what to show and
call them. Everything that comes from a document, a question or a model is untrusted text:
the template engine passes every printed value through `esc`, which escapes HTML and also
the characters that Gradio's HTML templates (`${...}`), Markdown and LaTeX would otherwise
interpret; only our own macros' output (Markup) is printed as is. Chat messages are
single-line `<div>` blocks, so the chat's Markdown renderer passes them through untouched.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Sequence
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from jinja2.ext import Extension
from markupsafe import Markup

from index.layout import Layout
from rag.quotes import shorten
from rag.services.library import Entry
from rag.types import Answer, Citation, Passage

PASSAGE_CHARS = 420  # closest passages are cut to this length in cards
_ENTITIES = str.maketrans({"$": "&#36;", "{": "&#123;", "}": "&#125;", "`": "&#96;"})
_ENTITIES.update({ord("\\"): "&#92;", ord("*"): "&#42;", ord("_"): "&#95;", ord("~"): "&#126;"})


def esc(text: str) -> str:
    """Escape untrusted text for HTML, Gradio templates and Markdown alike."""
    return html.escape(text, quote=True).translate(_ENTITIES)


# --- the templates -------------------------------------------------------------------------


class _OneLine(Extension):
    """Drops the templates' line breaks and indentation: they are for reading only.

    A blank line would end a chat message's HTML block, and the source and document panels
    show text with `white-space: pre-wrap`, where any stray whitespace would show.
    """

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        return re.sub(r"\s*\n\s*", "", source)


def _escape(value: object) -> object:
    """Every printed string goes through `esc`; Markup (our macros' output) is already HTML."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return Markup(esc(value))
    return value


@functools.cache
def _templates() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(Path(__file__).with_name("templates")),
        autoescape=True,
        undefined=StrictUndefined,
        finalize=_escape,
        extensions=[_OneLine],
    )
    environment.filters["short"] = lambda text, limit=80: shorten(text, limit)
    return environment


def _html(template: str, macro: str, **values: object) -> Markup:
    """The HTML of one macro in ui/templates/<template>.html.j2."""
    return getattr(_templates().get_template(f"{template}.html.j2").module, macro)(**values)


# --- the chat ------------------------------------------------------------------------------


def question_html(question: str) -> str:
    return str(_html("chat", "question", text=question))


def user_message(question: str) -> dict[str, str]:
    return {"role": "user", "content": question_html(shorten(question, 600))}


def assistant_message(html: str) -> dict[str, str]:
    return {"role": "assistant", "content": html}


def streaming_html(text: str) -> str:
    return str(_html("chat", "streaming", text=text))


def pending_html() -> str:
    return str(_html("chat", "pending"))


def meta_html(backend: str, seconds: float, read_as: str = "") -> str:
    """Backend and time under an answer; for a follow-up, the standalone question searched."""
    return str(_html("chat", "meta", backend=backend, seconds=seconds, read_as=read_as))


def answer_html(
    answer: Answer, turn: int, seconds: float, answered_by: str = "", status: str = ""
) -> str:
    """A chat answer: cited sentences, abstention, or an error; then `status` (which answer
    this is, while a model refines it or once it is done; for a refined answer, by whom), who
    answered (`answered_by`, else the answer's backend) and the time."""
    if answer.refined_by and not status:
        status = f"refined by {answer.refined_by}"
    standalone = answer.standalone_question
    read_as = standalone if standalone and standalone != answer.question else ""
    return str(
        _html(
            "chat",
            "answer",
            answer=answer,
            turn=turn,
            seconds=seconds,
            read_as=read_as,
            answered_by=answered_by or answer.backend,
            status=status,
            refined=bool(answer.refined_by),
        )
    )


def error_html(message: str, hint: str = "") -> str:
    return str(_html("chat", "error", message=message, hint=hint))


# --- the sources panel -------------------------------------------------------------------


def citation_card(
    citation: Citation, turn: int, show_scores: bool, passage: Passage | None = None
) -> str:
    return str(_citation_card(citation, turn, show_scores, passage))


def _citation_card(
    citation: Citation, turn: int, show_scores: bool, passage: Passage | None
) -> Markup:
    """The quote highlighted inside its paragraph, as the pipeline cut it from the source."""
    return _html(
        "sources",
        "citation_card",
        citation=citation,
        turn=turn,
        before=citation.before,
        quote=citation.quote,
        after=citation.after,
        metadata=citation.model_dump(include={"publisher", "author", "date"}),
        where=" · ".join(
            filter(None, (f"p. {citation.page}" if citation.page else "", citation.section))
        ),
        show_scores=show_scores,
        passage=passage,
    )


def passage_card(passage: Passage, turn: int, show_scores: bool) -> str:
    return str(_passage_card(passage, turn, show_scores))


def _passage_card(passage: Passage, turn: int, show_scores: bool) -> Markup:
    text = re.sub(r"\n\s*\n", "\n", passage.text.strip())
    if len(text) > PASSAGE_CHARS:
        text = text[:PASSAGE_CHARS].rsplit(" ", 1)[0] + "…"
    return _html(
        "sources", "passage_card", passage=passage, turn=turn, text=text, show_scores=show_scores
    )


def _containing(citation: Citation, passages: Sequence[Passage]) -> Passage | None:
    for passage in passages:
        if passage.doc_id == citation.doc_id and passage.start <= citation.start < passage.end:
            return passage
    return None


def turn_sources(answer: Answer, turn: int, show_scores: bool) -> str:
    """The cards for one answer: its citations, or the closest passages when it has none."""
    return str(_turn_sources(answer, turn, show_scores))


def _turn_sources(answer: Answer, turn: int, show_scores: bool) -> Markup:
    if answer.citations:
        cards = [
            _citation_card(c, turn, show_scores, _containing(c, answer.retrieved))
            for c in answer.citations
        ]
    else:
        cards = [_passage_card(p, turn, show_scores) for p in answer.retrieved[:3]]
    return _html("sources", "turn_sources", answer=answer, cards=cards, show_scores=show_scores)


def sources_html(answers: Sequence[Answer], show_scores: bool) -> str:
    """Every answer's sources, newest first; only the newest is unfolded. answers[i] is turn i+1."""
    turns = [
        (turn, answers[turn - 1], _turn_sources(answers[turn - 1], turn, show_scores))
        for turn in range(len(answers), 0, -1)
    ]
    return str(_html("sources", "sources", turns=turns))


def empty_sources_html() -> str:
    return str(_html("sources", "empty"))


# --- the document viewer ------------------------------------------------------------------


def document_html(
    title: str,
    metadata: dict[str, str],
    text: str,
    sections: Sequence[tuple[int, int]],
    start: int,
    end: int,
    layout: Layout | None = None,
) -> str:
    """The cleaned document (its body sections, as indexed), with [start, end) highlighted.

    Only the body is ever shown, whatever range is asked for: page chrome between sections is
    left out (a thin rule marks the gap), and a range outside the body highlights nothing.
    A paged document marks where each page starts ("p. 3"); the head names the quote's page.
    """
    layout = layout or Layout()
    parts = []
    for a, b in _paged(sorted(sections), layout.pages):
        s, e = max(a, start), min(b, end)
        if s >= e:  # nothing to highlight: the whole section comes before the (empty) quote
            s = e = b
        parts.append((layout.page_at(a), text[a:s], text[s:e], text[e:b]))
    return str(
        _html(
            "document",
            "document",
            title=title,
            metadata=metadata,
            sections=parts,
            page=layout.page_at(start),
            pages=len(layout.pages),
        )
    )


def _paged(sections: list[tuple[int, int]], pages: list[int]) -> list[tuple[int, int]]:
    """Sections cut where a page starts inside them."""
    cut = []
    for a, b in sections:
        for page in (p for p in pages if a < p < b):
            cut.append((a, page))
            a = page
        cut.append((a, b))
    return cut


def document_message_html(message: str) -> str:
    return str(_html("document", "message", text=message))


# --- the library ---------------------------------------------------------------------------


def library_html(entries: Sequence[Entry]) -> str:
    return str(_html("library", "library", entries=entries))


def upload_results_html(rows: Sequence[tuple[str, str, str]]) -> str:
    """(file name, status, what happened) per uploaded file."""
    return str(_html("library", "upload_results", rows=rows))
