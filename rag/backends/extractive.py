"""No generative model: the answer is the passage sentences that best answer the question.

Deterministic and fast. Sentences are scored by the rarity-weighted share of the question's
content words they contain, discounted by the rank of their passage; a sentence must also be
able to carry the kind of answer the question asks for (an amount, a year, a unit).
"""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from rag import judge
from rag.analysis import QuestionAnalysis, analyse
from rag.backends.base import Backend, BackendOptions, GenerationRequest, register
from rag.claims import unmentioned
from rag.prompt import NOT_FOUND
from rag.support import SourceSentence, SupportScorer, passage_sentences
from rag.types import Passage

MIN_WORDS = 5


@register("extractive")
class ExtractiveBackend(Backend):
    generative = False

    class Options(BackendOptions):
        model_config = SettingsConfigDict(env_prefix="RAG_EXTRACTIVE_")
        min_score: float = Field(0.3, description="the best sentence's score needed to answer")
        max_sentences: int = Field(3, ge=1, description="sentences in an answer at most")
        keep_ratio: float = Field(0.75, description="candidates score this share of the best")
        rank_discount: float = Field(0.05, description="score discount per passage rank")

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
        discount = self.options.rank_discount
        ranked = sorted(
            (
                (
                    s.score / (1 + discount * (s.sentence.passage.n - 1)),
                    s.sentence,
                )
                for s in scorer.rank(request.question, shortlist=12)
                if len(s.sentence.text.split()) >= MIN_WORDS  # headings do not answer
            ),
            key=lambda pair: pair[0],
            reverse=True,
        )
        if not ranked or ranked[0][0] < self.options.min_score:
            return []
        best = ranked[0][0]
        candidates = [s for score, s in ranked if score >= self.options.keep_ratio * best]
        question = request.analysis or analyse(request.question)

        def answers(sentence: SourceSentence) -> bool:
            return judge.answers(question, judge.sentence_of(sentence)).answers

        # the sentence, or the one after it that it brings along, has the answer
        candidates = [s for s in candidates if any(map(answers, [s, *_following(s, sentences)]))]
        candidates.sort(key=lambda s: not answers(s))  # answers by itself first
        if not candidates:
            return []
        lead = candidates[0]
        chosen = [lead, *_following(lead, sentences)]
        other = next(
            (
                s
                for s in candidates
                if s.passage.doc_id != lead.passage.doc_id and _about(question, s.passage)
            ),
            None,
        )
        if other is not None:
            chosen.append(other)
        return chosen[: self.options.max_sentences]


def _following(sentence: SourceSentence, sentences: list[SourceSentence]) -> list[SourceSentence]:
    """The sentence after this one in the same passage, if there is one."""
    after = sentences.index(sentence) + 1
    if after < len(sentences) and sentences[after].passage is sentence.passage:
        return [sentences[after]]
    return []


def _about(question: QuestionAnalysis, passage: Passage) -> bool:
    """A second document joins the answer only when its passage names most of what the
    question names (a sentence about Russia and Iran does not answer "Iran and Azerbaijan")."""
    asked = question.name_words
    text = " ".join([*passage.metadata.values(), passage.title, passage.text])
    return 2 * len(unmentioned(asked, [text])) < len(asked) if asked else True
