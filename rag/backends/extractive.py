"""No generative model: the answer is the passage sentences that best answer the question.

Deterministic and fast. Sentences are scored by the rarity-weighted share of the question's
content words they contain, discounted by the rank of their passage; a sentence must also be
able to carry the kind of answer the question asks for (an amount, a year, a unit).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from rag.backends.base import Backend, GenerationRequest, register
from rag.expectations import expectation
from rag.prompt import NOT_FOUND
from rag.support import SourceSentence, SupportScorer, passage_sentences

MIN_WORDS = 5


@register("extractive")
class ExtractiveBackend(Backend):
    generative = False

    def __init__(
        self,
        embed: Callable[[list[str]], list[list[float]]] | None = None,
        min_score: float = 0.3,
        max_sentences: int = 3,
        keep_ratio: float = 0.75,
        rank_discount: float = 0.05,
        **_: object,
    ) -> None:
        self.embed = embed
        self.min_score = min_score
        self.max_sentences = max_sentences
        self.keep_ratio = keep_ratio
        self.rank_discount = rank_discount

    def execute(self, request: GenerationRequest, stream: bool = True) -> Iterator[str]:
        chosen = self.select(request)
        if not chosen:
            yield NOT_FOUND
            return
        for i, sentence in enumerate(chosen):
            yield ("" if i == 0 else " ") + f"{sentence.text} [{sentence.passage.n}]"

    def select(self, request: GenerationRequest) -> list[SourceSentence]:
        """The best answering sentence, the one after it (answers often continue there), and
        the best sentence of another document when it scores nearly as well."""
        sentences = passage_sentences(request.passages)
        scorer = SupportScorer(sentences, self.embed)
        ranked = sorted(
            (
                (s.score / (1 + self.rank_discount * (s.sentence.passage.n - 1)), s.sentence)
                for s in scorer.rank(request.question, shortlist=12)
                if len(s.sentence.text.split()) >= MIN_WORDS  # headings do not answer
            ),
            key=lambda pair: pair[0],
            reverse=True,
        )
        if not ranked or ranked[0][0] < self.min_score:
            return []
        best = ranked[0][0]
        candidates = [s for score, s in ranked if score >= self.keep_ratio * best]
        wanted = expectation(request.question)
        if wanted:
            candidates = [s for s in candidates if wanted.met_by(s.text)]
            if not candidates:
                return []
        lead = candidates[0]
        chosen = [lead]
        following = sentences.index(lead) + 1
        if following < len(sentences) and sentences[following].passage is lead.passage:
            chosen.append(sentences[following])
        other = next((s for s in candidates if s.passage.doc_id != lead.passage.doc_id), None)
        if other is not None:
            chosen.append(other)
        return chosen[: self.max_sentences]
