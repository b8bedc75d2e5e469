"""Answer text in, checked sentences and verified citations out.

Every answer sentence is cited with the passage sentence that supports it (`claims.check`),
preferring the passages the model itself marked; a sentence nothing supports is kept, shown
as unsupported, with no citation. A citation is made only after its quote is verified against
the stored source text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rag import claims
from rag.quotes import CONTEXT_CHARS, paragraph, verified
from rag.support import (
    SourceSentence,
    Support,
    SupportScorer,
    passage_sentences,
    split_answer,
    strip_markers,
)
from rag.types import AnswerSentence, Citation, Passage

Embed = Callable[[list[str]], list[list[float]]]


@dataclass(frozen=True)
class SupportRule:
    min_support: float = 0.45  # lexical + embedding closeness of claim and quote
    min_coverage: float = 0.6  # share of the claim's content words in the quote


def cite(
    text: str,
    passages: list[Passage],
    source_text: Callable[[str], str | None],
    rule: SupportRule,
    embed: Embed | None = None,
) -> tuple[list[AnswerSentence], list[Citation]]:
    scorer = SupportScorer(passage_sentences(passages), embed)
    numbers = {p.n for p in passages}
    citations: dict[tuple[str, int, int], Citation] = {}
    sentences: list[AnswerSentence] = []
    for raw in split_answer(text):
        claim, markers = strip_markers(raw)
        if not claim:
            continue
        support = _support(scorer, claim, [m for m in markers if m in numbers], rule)
        if support is not None:
            key = (support.sentence.passage.doc_id, support.sentence.start, support.sentence.end)
            if key not in citations and (
                citation := _citation(support, source_text, len(citations) + 1)
            ):
                citations[key] = citation
            cited = [citations[key].n] if key in citations else []
        else:
            cited = []
        sentences.append(AnswerSentence(text=claim, citations=cited, supported=bool(cited)))
    return sentences, list(citations.values())


def context_of(sentence: SourceSentence) -> str:
    """What a reference in the sentence may point at: the title and the text before it."""
    passage = sentence.passage
    before = passage.metadata.get("before", "") + passage.text[: sentence.start - passage.start]
    return f"{passage.title}\n{before[-CONTEXT_CHARS:]}"


def _support(
    scorer: SupportScorer, claim: str, markers: list[int], rule: SupportRule
) -> Support | None:
    """The best sentence that supports the claim, among the passages the model marked first,
    then among all; None when no sentence does."""
    parsed = claims.parse(claim)

    def supports(found: Support) -> bool:
        return (
            found.score >= rule.min_support
            and claims.check(
                parsed, found.sentence.text, context_of(found.sentence), rule.min_coverage
            ).supported
        )

    if markers:
        marked = [i for i, s in enumerate(scorer.sentences) if s.passage.n in markers]
        if found := next(filter(supports, scorer.rank(claim, marked)), None):
            return found
    return next(filter(supports, scorer.rank(claim)), None)


def _citation(
    support: Support, source_text: Callable[[str], str | None], n: int
) -> Citation | None:
    source = support.sentence
    text = source_text(source.passage.doc_id)
    if not verified(text, source.start, source.end, source.text):
        return None
    before, _, after = paragraph(text, source.start, source.end)
    metadata = source.passage.metadata
    return Citation(
        n=n,
        doc_id=source.passage.doc_id,
        title=source.passage.title,
        quote=source.text,
        start=source.start,
        end=source.end,
        score=round(support.score, 4),
        chunk_id=source.passage.chunk_id,
        publisher=metadata.get("publisher"),
        author=metadata.get("author"),
        date=metadata.get("date"),
        before=before,
        after=after,
    )
