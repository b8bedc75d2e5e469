"""Question in, cited answer out: condense, retrieve, generate, support, verify, abstain."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from rag.backends.base import Backend, BackendError, GenerationRequest
from rag.prompt import (
    CONDENSE,
    NOT_FOUND,
    SYSTEM,
    declines,
    fit_passages,
    user_prompt,
    without_headers,
)
from rag.quotes import paragraph, verified
from rag.retrieval import HybridRetriever, Retrieval
from rag.support import (
    SupportScorer,
    passage_sentences,
    split_answer,
    strip_markers,
    words,
)
from rag.types import (
    Answer,
    AnswerEvent,
    AnswerSentence,
    Citation,
    Completed,
    Passage,
    QuestionError,
    TextDelta,
)

_NUMBERS = re.compile(r"\d+(?:[.,]\d+)*")
_FOLLOW_UP = re.compile(
    r"^(?:and|but|so|also|what about|how about)\b|\b(?:it|its|they|their|them|this|that|"
    r"these|those|there|he|she|his|her)\b",
    re.IGNORECASE,
)

Turn = tuple[str, str]  # (user question, assistant answer)


@dataclass(frozen=True)
class AnswerConfig:
    top_k: int = 5
    context_tokens: int = 1500
    max_question_chars: int = 2000
    min_dense: float = 0.2  # below this the corpus holds nothing close: abstain
    min_support: float = 0.45  # an answer sentence needs a passage sentence this close


class AnswerPipeline:
    def __init__(
        self,
        retriever: HybridRetriever,
        backend: Backend,
        config: AnswerConfig,
        embed: Callable[[list[str]], list[list[float]]] | None = None,
    ) -> None:
        self.retriever = retriever
        self.backend = backend
        self.config = config
        self.embed = embed

    def validate(self, question: str) -> str:
        question = (question or "").strip()
        if not question:
            raise QuestionError("the question is empty: type a question about the documents")
        if len(question) > self.config.max_question_chars:
            raise QuestionError(
                f"the question is {len(question):,} characters long; the limit is "
                f"{self.config.max_question_chars:,}: shorten it"
            )
        return question

    def ask(self, question: str, history: Sequence[Turn] = (), **options) -> Answer:
        *_, last = self.stream(question, history, **options)
        assert isinstance(last, Completed)
        return last.answer

    def stream(
        self,
        question: str,
        history: Sequence[Turn] = (),
        top_k: int | None = None,
        doc_ids: Sequence[str] | None = None,
    ) -> Iterator[AnswerEvent]:
        """Yield answer text as it is generated, then the checked answer (`Completed`)."""
        started = time.perf_counter()
        question = self.validate(question)
        timings: dict[str, float] = {}
        standalone = self.condense(question, history)
        timings["condense"] = _ms(started)
        mark = time.perf_counter()
        retrieval = self.retriever.retrieve(standalone, top_k or self.config.top_k, doc_ids)
        timings["retrieve"] = _ms(mark)
        answer = Answer(
            question=question,
            standalone_question=standalone,
            answer="",
            retrieved=retrieval.passages,
            backend=self.backend.name,
            timings_ms=timings,
        )
        timings = answer.timings_ms  # pydantic copied the dict: keep filling the answer's own
        if self._weak(retrieval):
            yield TextDelta(NOT_FOUND)
            yield Completed(self._abstain(answer, started))
            return
        passages = fit_passages(retrieval.passages, self.config.context_tokens)
        request = GenerationRequest(
            question=standalone,
            passages=passages,
            system=SYSTEM,
            prompt=user_prompt(standalone, passages),
        )
        mark = time.perf_counter()
        pieces: list[str] = []
        try:
            for piece in self.backend.execute(request, stream=True):
                pieces.append(piece)
                yield TextDelta(piece)
        except Exception as error:  # any backend's failure, also a third-party one's own bug
            answer.error = str(error) if isinstance(error, BackendError) else repr(error)
        timings["generate"] = _ms(mark)
        if answer.error:
            timings["total"] = _ms(started)
            yield Completed(answer)
            return
        yield Completed(self._finish(answer, "".join(pieces), passages, started))

    def condense(self, question: str, history: Sequence[Turn]) -> str:
        """A follow-up becomes a standalone question; the first question stays as it is."""
        if not history or not _FOLLOW_UP.search(question):
            return question
        previous = history[-1][0]
        if self.backend.generative:
            transcript = "\n".join(f"User: {q}\nAssistant: {a}" for q, a in history[-3:])
            try:
                rewritten = (
                    self.backend.complete(CONDENSE.format(history=transcript, question=question))
                    .strip()
                    .splitlines()
                )
            except Exception:  # no rewrite: the generation below reports the failure
                rewritten = []
            candidate = rewritten[0].strip() if rewritten else ""
            # Keep the rewrite only if it brought something over from the conversation.
            carried = set(words(candidate)) & (set(words(previous)) - set(words(question)))
            if carried and len(candidate) <= 3 * (len(question) + len(previous)):
                return candidate
        return f"{previous} {question}"

    def _weak(self, retrieval: Retrieval) -> bool:
        return not retrieval.passages or retrieval.best_dense < self.config.min_dense

    def _abstain(self, answer: Answer, started: float) -> Answer:
        answer.abstained = True
        answer.answer = NOT_FOUND
        answer.sentences = [AnswerSentence(text=NOT_FOUND, supported=False)]
        answer.citations = []
        answer.timings_ms["total"] = _ms(started)
        return answer

    def _finish(self, answer: Answer, text: str, passages: list[Passage], started: float) -> Answer:
        text = without_headers(text, passages).strip()
        if not text or declines(text):
            return self._abstain(answer, started)
        scorer = SupportScorer(
            passage_sentences(passages), self.embed if self.backend.generative else None
        )
        by_number = {p.n: p for p in passages}
        citations: dict[tuple[str, int, int], Citation] = {}
        sentences: list[AnswerSentence] = []
        for raw in split_answer(text):
            claim, markers = strip_markers(raw)
            if not claim:
                continue
            support = self._support(scorer, claim, [m for m in markers if m in by_number])
            if support is None:
                sentences.append(AnswerSentence(text=claim, supported=False))
                continue
            source = support.sentence
            key = (source.passage.doc_id, source.start, source.end)
            text = self.retriever.source_text(source.passage.doc_id)
            if key not in citations and verified(text, source.start, source.end, source.text):
                before, _, after = paragraph(text, source.start, source.end)
                citations[key] = Citation(
                    n=len(citations) + 1,
                    doc_id=source.passage.doc_id,
                    title=source.passage.title,
                    quote=source.text,
                    start=source.start,
                    end=source.end,
                    score=round(support.score, 4),
                    chunk_id=source.passage.chunk_id,
                    publisher=source.passage.metadata.get("publisher"),
                    author=source.passage.metadata.get("author"),
                    date=source.passage.metadata.get("date"),
                    before=before,
                    after=after,
                )
            cited = [citations[key].n] if key in citations else []
            sentences.append(AnswerSentence(text=claim, citations=cited, supported=bool(cited)))
        if not any(s.supported for s in sentences):
            return self._abstain(answer, started)
        answer.sentences = sentences
        answer.citations = list(citations.values())
        answer.answer = " ".join(
            s.text + "".join(f" [{n}]" for n in s.citations) for s in sentences
        )
        answer.timings_ms["total"] = _ms(started)
        return answer

    def _support(self, scorer: SupportScorer, claim: str, markers: list[int]):
        """The model's own markers where they hold; else the best sentence anywhere."""
        numbers = set(_NUMBERS.findall(claim))

        def holds(found) -> bool:
            return (
                found is not None
                and found.score >= self.config.min_support
                and numbers <= set(_NUMBERS.findall(found.sentence.text))
            )

        if markers:
            marked = [i for i, s in enumerate(scorer.sentences) if s.passage.n in markers]
            found = scorer.best(claim, marked)
            if holds(found):
                return found
        found = scorer.best(claim)
        return found if holds(found) else None


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 1)
