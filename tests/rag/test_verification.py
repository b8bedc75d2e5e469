"""No citation is shown unless its offsets give its quote in the source text the pipeline is
handed (`rag.quotes.verified`, called where citations are made: `rag.citing`).

The passages come from the real store and reach the backend unchanged; only
`source_text(doc_id)` is tampered with, so the sentence the reply repeats (and the quote a
citation would carry) is unchanged while the source it is checked against is not what it was
cut from. The scripted backend repeats, word for word, a sentence of what it is shown, with its
[n] marker, so support finds it and only the quote check can keep the citation out: without
that check every tampered case below would show a citation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from corpus import SEEDS

from rag.backends.base import Backend, GenerationRequest
from rag.support import SourceSentence, passage_sentences
from rag.types import Answer

QUESTION = "Which close ally of Turkey has been dragged into Israel's attacks on the region?"
CITED = "ensnared Qatar"  # the sentence the reply repeats

Pick = Callable[[list[SourceSentence]], SourceSentence]


def containing(needle: str) -> Pick:
    def pick(sentences: list[SourceSentence]) -> SourceSentence:
        (found,) = [s for s in sentences if needle in s.text]
        return found

    return pick


def another_sentence_of_the_same_document(sentences: list[SourceSentence]) -> SourceSentence:
    first = containing(CITED)(sentences)
    return next(
        s
        for s in sentences
        if s.passage.doc_id == first.passage.doc_id
        and (s.end <= first.start or s.start >= first.end)
        and len(s.text.split()) >= 8
    )


class Repeating(Backend):
    """A generative backend whose reply repeats, word for word, the sentences `picks` choose
    from what it is shown, each on its own line with the [n] of the passage it came from."""

    name = "repeating"

    def __init__(self, *picks: Pick) -> None:
        super().__init__()
        self.picks = picks
        self.repeated: list[SourceSentence] = []

    def execute(self, request: GenerationRequest, stream: bool = True) -> Iterator[str]:
        shown = passage_sentences(request.passages)
        self.repeated = [pick(shown) for pick in self.picks]
        yield "\n".join(f"{s.text} [{s.passage.n}]" for s in self.repeated)


class ServedSource:
    """The real retriever, except that `source_text` of the target sentence's document is
    passed through `tamper`; `served` records what the pipeline was given to verify against."""

    def __init__(self, inner, target: SourceSentence, tamper: Callable[[str, SourceSentence], str]):
        self.inner = inner
        self.target = target
        self.tamper = tamper
        self.served: dict[str, str] = {}

    def __getattr__(self, name: str):  # retrieve, layout, ...: the real retriever's
        return getattr(self.inner, name)

    def source_text(self, doc_id: str) -> str:
        text = self.inner.source_text(doc_id)
        if doc_id == self.target.passage.doc_id:
            text = self.tamper(text, self.target)
        self.served[doc_id] = text
        return text


def ask(answer_with, tamper, *picks: Pick, fallback: str | None = None):
    """The shipped pipeline over the seeds, answering through `Repeating(*picks)`; by default
    without the extractive fallback, so the answer is the scripted reply's alone. The tampered
    sentence is the first pick's, found in what the question retrieves: the fallback checks its
    quotes before the model is asked."""
    backend = Repeating(*picks)
    pipe = answer_with(backend, fallback=fallback)
    target = picks[0](passage_sentences(pipe.retriever.retrieve(QUESTION).passages))
    served = ServedSource(pipe.retriever, target, tamper)
    pipe.retriever = served
    answer = pipe.ask(QUESTION)
    repeated = [(s.passage.doc_id, s.start) for s in backend.repeated[:1]]
    assert repeated in ([], [(target.passage.doc_id, target.start)])  # [] if it was not asked
    return answer, served, backend


def citation_of(answer: Answer, target: SourceSentence):
    return [
        c
        for c in answer.citations
        if (c.doc_id, c.start, c.end) == (target.passage.doc_id, target.start, target.end)
    ]


def assert_shown_citations_verify(answer: Answer, served: ServedSource) -> None:
    for citation in answer.citations:
        assert served.served[citation.doc_id][citation.start : citation.end] == citation.quote


def seed(doc_id: str) -> str:
    return (SEEDS / doc_id).read_text(encoding="utf-8")


# --- the tampering -------------------------------------------------------------------------------


def untouched(text: str, target: SourceSentence) -> str:
    return text


def change_one_character(text: str, target: SourceSentence) -> str:
    """One letter in the middle of the cited sentence replaced by another."""
    i = target.start + target.text.index(CITED) + 2  # inside the word "ensnared"
    assert text[i].isalpha()
    return text[:i] + ("x" if text[i] != "x" else "y") + text[i + 1 :]


def shift_by_one(text: str, target: SourceSentence) -> str:
    """One character more at the start of the document: every offset is off by one."""
    return " " + text


def drop_one_character_before(text: str, target: SourceSentence) -> str:
    """One character fewer somewhere before the sentence: its offsets are off by one."""
    return text[: target.start - 1] + text[target.start :]


def change_whitespace(text: str, target: SourceSentence) -> str:
    """A space in the cited sentence becomes a no-break space (same length, looks the same)."""
    i = target.start + target.text.index(" ")
    return text[:i] + "\u00a0" + text[i + 1 :]


def truncate_before(text: str, target: SourceSentence) -> str:
    """The source ends before the sentence: its offsets are out of range."""
    return text[: target.start]


def missing(text: str, target: SourceSentence) -> str:
    """The store has no source text for the document (`source_text` gives "")."""
    return ""


TAMPERED = [
    change_one_character,
    shift_by_one,
    drop_one_character_before,
    change_whitespace,
    truncate_before,
    missing,
]


def test_the_untampered_source_gives_a_citation_whose_quote_is_its_slice(answer_with):
    """Positive control: the same reply and the same passages, with the real source."""
    answer, served, backend = ask(answer_with, untouched, containing(CITED))
    (target,) = backend.repeated
    assert not answer.abstained
    (citation,) = citation_of(answer, target)
    assert citation.quote == target.text
    assert served.served[target.passage.doc_id][citation.start : citation.end] == citation.quote
    assert seed(citation.doc_id)[citation.start : citation.end] == citation.quote
    (sentence,) = answer.sentences
    assert sentence.supported and sentence.citations == [citation.n]
    assert f"[{citation.n}]" in answer.answer


@pytest.mark.parametrize("tamper", TAMPERED, ids=[t.__name__ for t in TAMPERED])
def test_a_quote_that_its_offsets_do_not_give_is_never_shown(answer_with, tamper):
    answer, served, backend = ask(answer_with, tamper, containing(CITED))
    (target,) = backend.repeated
    assert target.passage.doc_id in served.served, "the quote was checked against the source"
    assert served.served[target.passage.doc_id][target.start : target.end] != target.text
    assert citation_of(answer, target) == []
    assert target.text not in [c.quote for c in answer.citations]
    assert answer.abstained or not any(s.supported for s in answer.sentences)
    assert answer.citations == []
    assert_shown_citations_verify(answer, served)


@pytest.mark.parametrize("tamper", [change_one_character, change_whitespace])
def test_only_the_sentence_whose_quote_fails_loses_its_citation(answer_with, tamper):
    answer, served, backend = ask(
        answer_with, tamper, containing(CITED), another_sentence_of_the_same_document
    )
    target, other = backend.repeated
    assert not answer.abstained
    assert citation_of(answer, target) == []
    (kept,) = citation_of(answer, other)
    assert kept.quote == other.text == seed(kept.doc_id)[kept.start : kept.end]
    assert_shown_citations_verify(answer, served)
    first, second = answer.sentences
    assert not first.supported and first.citations == []
    assert second.supported and second.citations == [kept.n]


@pytest.mark.parametrize("tamper", TAMPERED, ids=[t.__name__ for t in TAMPERED])
def test_the_fallback_answer_shows_no_unverified_quote_either(answer_with, tamper):
    """With the extractive fallback on (the default for generative backends), whatever
    answers, every citation shown is the exact slice of the source it was checked against."""
    answer, served, _ = ask(answer_with, tamper, containing(CITED), fallback="extractive")
    assert citation_of(answer, served.target) == []
    assert_shown_citations_verify(answer, served)
    if not answer.abstained:
        assert answer.citations
