"""Questions about a document itself (who wrote it, when, where it was published, its title)
answered from what its page states, citing the byline or dateline as an exact quote."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from index.cleaning import find_date
from rag.prompt import NOT_FOUND
from rag.quotes import paragraph, verified
from rag.types import Answer, AnswerSentence, Citation, Passage

_ASKED = {
    "author": re.compile(
        r"\bwho (?:wrote|authored|is the (?:author|writer))\b|\b(?:author|writer) of\b|"
        r"\bwritten by whom\b",
        re.IGNORECASE,
    ),
    "date": re.compile(
        r"\bwhen (?:was|did) .*\b(?:publish|published|written|posted|appear|appeared)\b|"
        r"\b(?:publication|publishing) date\b|\bon what date\b.*\bpublish",
        re.IGNORECASE,
    ),
    "publisher": re.compile(
        r"\b(?:which|what) (?:outlet|website|site|publication|newspaper|magazine|news agency|"
        r"media outlet|publisher)\b|\bwhere (?:was|did) .*\b(?:published|appear|appeared|"
        r"come out)\b|\bwho published\b",
        re.IGNORECASE,
    ),
}
# "Who wrote the article?" is about a document; "Who wrote the letter?" may be about its content.
_DOCUMENT = re.compile(
    r"\b(?:article|piece|report|story|op-ed|analysis|commentary|column|essay|post|document|page)s?\b",
    re.IGNORECASE,
)
_SAY = {
    "author": "{title} was written by {value}.",
    "date": "{title} was published on {value}.",
    "publisher": "{title} was published by {value}.",
}


# "Which newspaper…?" is about the page only when it asks who published a document; "In which
# newspaper did he give the interview?" asks about the content.
_PUBLISHING = re.compile(r"\bpublish\w*|\bappear(?:s|ed)?\b|\bcome out\b", re.IGNORECASE)


def asked_about(question: str) -> str | None:
    """The page detail the question asks for: author, date or publisher (or None)."""
    field = next((field for field, pattern in _ASKED.items() if pattern.search(question)), None)
    if field == "publisher" and not (_DOCUMENT.search(question) or _PUBLISHING.search(question)):
        return None
    return field


def answer_about(
    question: str, passages: list[Passage], source_text: Callable[[str], str | None]
) -> Answer | None:
    """The answer from the best-matching document's page details; a decline when the question
    asks a document's detail its page does not state; None when the question is not about
    page details (the normal path then answers)."""
    field = asked_about(question)
    if field is None or not passages:
        return None
    top = passages[0]
    value, text = top.metadata.get(field), source_text(top.doc_id)
    if not value or text is None or (span := _stated(text, field, value)) is None:
        return _unstated(question, passages) if _DOCUMENT.search(question) else None
    start, end = span
    if not verified(text, start, end, text[start:end]):
        return None
    before, quote, after = paragraph(text, start, end)
    shown = f"{date.fromisoformat(value):%-d %B %Y}" if field == "date" else value
    title = f"“{top.title}”" if top.title != top.doc_id else "The document"
    sentence = _SAY[field].format(title=title, value=shown)
    citation = Citation(
        n=1, doc_id=top.doc_id, title=top.title, quote=quote, start=start, end=end, score=1.0,
        chunk_id=top.chunk_id, publisher=top.metadata.get("publisher"),
        author=top.metadata.get("author"), date=top.metadata.get("date"),
        before=before, after=after,
    )  # fmt: skip
    return Answer(
        question=question,
        answer=f"{sentence} [1]",
        sentences=[AnswerSentence(text=sentence, citations=[1])],
        citations=[citation],
        retrieved=passages,
        backend="page details",
    )


def _unstated(question: str, passages: list[Passage]) -> Answer:
    answer = Answer(question=question, answer="", retrieved=passages, backend="page details")
    return answer.decline(NOT_FOUND)


def _stated(text: str, field: str, value: str) -> tuple[int, int] | None:
    """The short line of the page that states the value: a dateline, a byline, a source."""
    for line in re.finditer(r"[^\n]+", text):
        words = line.group().split()
        if not words or len(words) > 12:
            continue
        if field == "date":
            found = find_date(line.group())
            if found is None or found.isoformat() != value:
                continue
        elif not re.search(rf"(?<!\w){re.escape(value)}(?!\w)", line.group()):
            continue
        start = line.start() + len(line.group()) - len(line.group().lstrip())
        return start, line.start() + len(line.group().rstrip())
    return None
