"""Evidence first: a generative model sees the few sentences that best answer the question,
numbered, instead of whole passages. A small model reads 350 tokens about 4x faster than
1,500, and what it cites is a sentence, so its claim is checked against exactly that."""

from __future__ import annotations

from collections.abc import Callable

from index.chunking import count_tokens
from rag import judge
from rag.analysis import QuestionAnalysis
from rag.quotes import CONTEXT_CHARS
from rag.support import SourceSentence, SupportScorer, passage_sentences
from rag.types import Passage

MIN_WORDS = 5  # headings and fragments do not answer
FOLLOWED = 3  # the best this many sentences bring the sentence after them (answers go on)


def select_evidence(
    question: QuestionAnalysis,
    passages: list[Passage],
    budget: int,
    embed: Callable[[list[str]], list[list[float]]] | None = None,
    shortlist: int = 16,
) -> list[Passage]:
    """The best sentences for the question within `budget` tokens, each a passage of its own
    that remembers the text before it, numbered from 1 best first (small models favour [1]).

    Sentences that can carry the kind of answer asked for (an amount, a year, a name) rank
    first, and each of the best few is followed by the sentence after it."""
    sentences = [s for s in passage_sentences(passages) if len(s.text.split()) >= MIN_WORDS]
    scorer = SupportScorer(sentences, embed)
    ranked = [s.sentence for s in scorer.rank(question.search, shortlist=shortlist)]
    ranked = [ranked[i] for i in judge.ranked(question, [judge.sentence_of(s) for s in ranked])]
    ordered: list[SourceSentence] = []
    for i, sentence in enumerate(ranked):
        ordered.append(sentence)
        following = sentences.index(sentence) + 1
        if (
            i < FOLLOWED
            and following < len(sentences)
            and sentences[following].passage is sentence.passage
        ):
            ordered.append(sentences[following])
    chosen: list[SourceSentence] = []
    used = 0
    seen: set[tuple[str, int]] = set()
    for sentence in ordered:
        tokens = count_tokens(sentence.text) + 4
        key = (sentence.passage.doc_id, sentence.start)
        if key in seen or (chosen and used + tokens > budget):
            continue
        seen.add(key)
        chosen.append(sentence)
        used += tokens
    return [_as_passage(n, sentence) for n, sentence in enumerate(chosen, start=1)]


def _as_passage(n: int, sentence: SourceSentence) -> Passage:
    passage = sentence.passage
    before = passage.text[: sentence.start - passage.start][-CONTEXT_CHARS:]
    return passage.model_copy(
        update={
            "n": n,
            "text": sentence.text,
            "start": sentence.start,
            "end": sentence.end,
            "metadata": {**passage.metadata, "before": before},
        }
    )
