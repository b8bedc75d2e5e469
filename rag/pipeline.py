"""Question in, cited answer out: condense, retrieve, generate, cite, verify, abstain."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from rag import judge
from rag.about import answer_about
from rag.analysis import Asked, QuestionAnalysis, analyse
from rag.backends.base import Backend, BackendError, GenerationRequest
from rag.citing import SupportRule, cite
from rag.claims import antecedents, mentions, swapped_actor, unmentioned
from rag.evidence import select_evidence
from rag.prompt import (
    EVIDENCE_SYSTEM,
    NOT_FOUND,
    answer_tokens,
    declines,
    evidence_prompt,
    fit_passages,
)
from rag.retrieval import HybridRetriever, Retrieval
from rag.settings import TOP_K
from rag.short import short_answer
from rag.support import SourceSentence, SupportScorer, passage_sentences, words
from rag.types import (
    Answer,
    AnswerEvent,
    AnswerSentence,
    Citation,
    Completed,
    FirstAnswer,
    Passage,
    QuestionError,
    TextDelta,
)

Turn = tuple[str, str]  # (user question, assistant answer)
#: what a part of a sentence may answer; a name or a number asked is shown with its sentence
_PART_ANSWERS = frozenset(
    {Asked.REASON, Asked.DESCRIPTION, Asked.COMPARISON, Asked.LIST, Asked.YES_NO}
)
SUBJECT_SHARE = 0.01  # a name that is one word in a hundred of a document is what it is about


@dataclass(frozen=True)
class AnswerConfig:
    top_k: int = TOP_K
    context_tokens: int = 1500  # passages an extractive backend reads
    evidence_tokens: int = 350  # sentences a generative backend reads
    max_question_chars: int = 2000
    min_dense: float = 0.2  # below this the corpus holds nothing close: abstain, unless
    words_found: float = 0.67  # a passage sentence holds this share of the question's words,
    min_words: int = 3  # of at least this many ("Which areas does it cover?" has two)
    concise: bool = True  # a short answer ("3 years") is the answer, citing its sentence
    support: SupportRule = field(default_factory=SupportRule)


class AnswerPipeline:
    """`fallback` (the extractive backend, for a generative one) answers when the model
    declines or none of its claims holds, so a weak model never loses a good answer."""

    def __init__(
        self,
        retriever: HybridRetriever,
        backend: Backend,
        config: AnswerConfig,
        embed: Callable[[list[str]], list[list[float]]] | None = None,
        fallback: Backend | None = None,
    ) -> None:
        self.retriever = retriever
        self.backend = backend
        self.config = config
        self.embed = embed
        self.fallback = fallback

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
        """Yield answer text as it is generated, then the checked answer (`Completed`). With a
        fallback, its checked answer comes first (`FirstAnswer`), before the model is asked: the
        text that follows it is the model's draft, which a reader need not show."""
        started = time.perf_counter()
        question = self.validate(question)
        analysis = analyse(question, history)
        standalone = analysis.search
        mark = time.perf_counter()
        retrieval = self.retriever.retrieve(standalone, top_k or self.config.top_k, doc_ids)
        answer = Answer(
            question=question,
            standalone_question=standalone,
            answer="",
            retrieved=retrieval.passages,
            backend=self.backend.name,
            timings_ms={"analyse": _ms(started), "retrieve": _ms(mark)},
        )
        if about := answer_about(question, retrieval.passages, self.retriever.source_text):
            about.standalone_question, about.timings_ms = standalone, answer.timings_ms
            about.timings_ms["total"] = _ms(started)
            yield TextDelta(about.answer)
            yield Completed(about)
            return
        if self._nothing_found(analysis, retrieval):
            yield TextDelta(NOT_FOUND)
            yield Completed(self._abstain(answer, started))
            return
        reading = self._fallback_reading(answer, analysis, retrieval.passages)
        if reading is not None and reading.abstained:  # the model's answer would be a guess
            reading.timings_ms["total"] = _ms(started)
            yield TextDelta(NOT_FOUND)
            yield Completed(reading)
            return
        if reading is not None and self._shorten(reading, analysis, retrieval.passages):
            reading.timings_ms["total"] = _ms(started)  # complete: the model is not asked
            yield TextDelta(reading.answer)
            yield Completed(reading)
            return
        if reading is not None:
            yield FirstAnswer(reading.model_copy(deep=True))
        request = self.request_for(analysis, retrieval.passages)
        mark = time.perf_counter()
        pieces: list[str] = []
        try:
            for piece in self.backend.execute(request, stream=True):
                pieces.append(piece)
                yield TextDelta(piece)
        except Exception as error:  # any backend's failure, also a third-party one's own bug
            answer.error = str(error) if isinstance(error, BackendError) else repr(error)
        answer.timings_ms["generate"] = _ms(mark)
        if not answer.error:
            self._finish(answer, analysis, "".join(pieces), request.passages)
            if reading is not None:
                answer = self._checked_by_fallback(answer, analysis, reading)
            else:
                self._shorten(answer, analysis, request.passages)
        answer.timings_ms["total"] = _ms(started)
        yield Completed(answer)

    def request_for(
        self, question: QuestionAnalysis, passages: list[Passage], generative: bool = True
    ) -> GenerationRequest:
        """What the backend is given: evidence sentences for a generative one, else passages."""
        if generative and self.backend.generative:
            evidence = select_evidence(question, passages, self.config.evidence_tokens, self.embed)
            return GenerationRequest(
                question=question.search,
                passages=evidence,
                system=EVIDENCE_SYSTEM,
                prompt=evidence_prompt(question.search, evidence),
                cited=True,
                not_found=NOT_FOUND,
                analysis=question,
                max_tokens=answer_tokens(question.asked),
            )
        return GenerationRequest(
            question=question.search,
            passages=fit_passages(passages, self.config.context_tokens),
            analysis=question,
        )

    def _fallback_reading(
        self, answer: Answer, question: QuestionAnalysis, passages: list[Passage]
    ) -> Answer | None:
        """The fallback's checked answer (None without a fallback), read before the model
        writes. It decides whether the documents answer the question at all: where it finds no
        answering sentence, a model's answer is a guess ("In May 2023." for when a bridge will
        be finished, citing a railway's agreement), so the model is not asked."""
        if self.fallback is None:
            return None
        request = self.request_for(question, passages, generative=False)
        text = "".join(self.fallback.execute(request, stream=False))
        reading = answer.model_copy(deep=True)
        self._finish(reading, question, text, request.passages)
        reading.backend = f"{self.backend.name}+{self.fallback.name}"
        return reading

    def _checked_by_fallback(
        self, answer: Answer, question: QuestionAnalysis, reading: Answer
    ) -> Answer:
        """The model's answer if it holds, else the fallback's `reading` (which answers).

        The model's answer holds when it did not decline, every sentence is supported, it adds
        at least two words of its quotes to the question (a small model often echoes it: "Putin
        single out as one of the most important chapters of the agreement"), and it rests on the
        sentence the fallback found answering best: a small model often cites a true sentence
        next to the answer that does not answer what was asked. Where a name or a number is
        asked, a model copying part of a sentence (often dropping the very name asked for) is
        shown the whole one; a reason or a description may be a part of its sentence."""
        # a reason may rest on any sentence of the reading; a name or a number on its lead
        part = question.asked in _PART_ANSWERS
        read = [(c.doc_id, c.start) for c in reading.citations[: None if part else 1]]
        holds = (
            not answer.abstained
            and all(s.supported for s in answer.sentences)
            and _adds_to(question.question, answer)
            and not set(read).isdisjoint((c.doc_id, c.start) for c in answer.citations)
            and (part or not _clips_a_quote(answer))
        )
        if holds:
            answer.refined_by = self.backend.name
            return answer
        reading.timings_ms = answer.timings_ms
        return reading

    def _shorten(self, answer: Answer, question: QuestionAnalysis, passages: list[Passage]) -> bool:
        """Find the answer's short answer (`rag.short`) among its answering sentences. With
        `concise`, it becomes the answer, citing its sentence alone. True when the answer is
        now that short answer."""
        if answer.abstained:
            return False
        quoted = {c.n: c for c in answer.citations}
        cited = [s for s in answer.sentences if s.citations]
        judged = [_judged(s, quoted, passages) for s in cited]
        answering = [i for i, s in enumerate(judged) if judge.answers(question, s).answers]
        found = short_answer(question, [judged[i] for i in answering])
        if found is None:
            return False
        answer.short_answer = found.text
        if not self.config.concise:
            return False
        sentence = cited[answering[found.sentence]]
        citation = quoted[sentence.citations[0]].model_copy(update={"n": 1})
        text = found.text[:1].upper() + found.text[1:]
        answer.sentences = [AnswerSentence(text=text, citations=[1])]
        answer.citations = [citation]
        answer.answer = f"{text} [1]"
        return True

    def _nothing_found(self, question: QuestionAnalysis, retrieval: Retrieval) -> bool:
        """Nothing to answer from: no passage, a name the passages never mention ("the capital
        of Peru"), or passages that are not close to a question that names nothing, in meaning
        or in words (BM25 finds "Which broadcaster showed the signing live?" where the
        embedding does not: one sentence holds most of its words)."""
        if not retrieval.passages:
            return True
        texts = [" ".join([*p.metadata.values(), p.title, p.text]) for p in retrieval.passages]
        if unmentioned(question.name_words, texts):
            return True
        if retrieval.best_dense >= self.config.min_dense or question.name_words:
            return False
        if len(set(words(question.question))) < self.config.min_words:
            return True
        sentences = passage_sentences(retrieval.passages)
        scorer = SupportScorer(sentences)
        return all(
            scorer.lexical(question.question, i) < self.config.words_found
            for i in range(len(sentences))
        )

    def _subject_of(self, names: Sequence[str], citations: list[Citation]) -> bool:
        """Some of `names` is what a cited document is about: it names it throughout (a manual
        does not repeat its product's name in every paragraph; a name said a few times in a
        long article is not its subject)."""
        texts = {c.doc_id: self.retriever.source_text(c.doc_id) for c in citations}
        return any(
            mentions(name, text) >= max(3, SUBJECT_SHARE * len(text.split()))
            for text in texts.values()
            for name in names
        )

    def _abstain(self, answer: Answer, started: float | None = None) -> Answer:
        answer.decline(NOT_FOUND)
        if started is not None:
            answer.timings_ms["total"] = _ms(started)
        return answer

    def _finish(
        self, answer: Answer, question: QuestionAnalysis, text: str, passages: list[Passage]
    ) -> None:
        """Cite what the text claims; abstain when it declines, nothing holds, no supported
        sentence carries the kind of answer asked for (an amount, a year, ...), or none of the
        names the question asks about is in a cited paragraph (a near miss: the answer is
        about something else)."""
        text = text.strip()
        if not text or declines(text):
            self._abstain(answer)
            return
        sentences, citations = cite(
            text,
            passages,
            self.retriever.source_text,
            self.config.support,
            self.embed if self.backend.generative else None,
        )
        quoted = {c.n: c for c in citations}
        held = [
            s
            for s in sentences
            if s.supported and not swapped_actor(question.question, s.text, owners_only=True)
        ]
        if not held or not any(
            judge.answers(question, _judged(s, quoted, passages)).answers for s in held
        ):
            self._abstain(answer)
            return
        # an answer about X names X: something the question names is in a cited paragraph
        around = [
            " ".join(filter(None, (c.title, c.author, c.publisher, c.before, c.quote, c.after)))
            for c in citations
        ] + [
            text
            for c in citations
            for text in antecedents(
                question.question, c.quote, self.retriever.source_text(c.doc_id), c.start
            )
        ]
        asked = question.name_words
        missing = unmentioned(asked, around)
        if asked and len(missing) == len(asked) and not self._subject_of(missing, citations):
            self._abstain(answer)
            return
        if not judge.covers_topic(
            question.question, [s.text for s in held] + [c.quote for c in citations]
        ):
            self._abstain(answer)
            return
        for citation in citations:
            layout = self.retriever.layout(citation.doc_id)
            citation.page = layout.page_at(citation.start)
            citation.section = layout.heading_at(citation.start)
        answer.abstained = False
        answer.sentences = sentences
        answer.citations = citations
        answer.answer = " ".join(
            s.text + "".join(f" [{n}]" for n in s.citations) for s in sentences
        )


def _judged(
    sentence: AnswerSentence, quoted: dict[int, Citation], passages: list[Passage]
) -> judge.Sentence:
    """An answer sentence as the judge reads it: the entities of the passage sentence it
    quotes, where it is that sentence word for word, else the sentence alone."""
    for n in sentence.citations:
        citation = quoted[n]
        passage = next(
            (
                p
                for p in passages
                if p.doc_id == citation.doc_id and p.start <= citation.start < p.end
            ),
            next((p for p in passages if p.doc_id == citation.doc_id), None),
        )
        if passage is not None and citation.quote.strip() == sentence.text.strip():
            found = SourceSentence(passage, citation.start, citation.end, citation.quote)
            return judge.sentence_of(found)
    before = " ".join(quoted[n].before for n in sentence.citations)
    return judge.Sentence(sentence.text, context=before)


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 1)


def _clips_a_quote(answer: Answer) -> bool:
    """Some sentence is a verbatim piece of its quote, shorter than the quote."""
    quotes = {c.n: c.quote for c in answer.citations}
    return any(
        (piece := s.text.strip().rstrip(".")) in quotes[n] and len(piece) < len(quotes[n]) - 2
        for s in answer.sentences
        for n in s.citations
        if n in quotes
    )


def _adds_to(question: str, answer: Answer) -> bool:
    """The answer brings at least two content words from its quotes that the question lacks
    ("200 kilometers", "Bashar al-Assad"); an echo of the question brings one or none, also
    when it spells out the question's acronym ("the Gulf Cooperation Council" for "the GCC")."""
    said = set(words(" ".join(s.text for s in answer.sentences)))
    quotes = " ".join(c.quote for c in answer.citations)
    asked = words(" ".join([question, *_spelled_out(question, quotes)]))
    return len((said & set(words(quotes))) - set(asked)) >= 2


_CAPITALISED_RUN = re.compile(r"[A-Z][\w'-]*(?:\s+(?:(?:of|and|for|the|on)\s+)?[A-Z][\w'-]*)+")


def _spelled_out(text: str, source: str) -> list[str]:
    """What the acronyms of `text` stand for in `source`: "GCC", "Gulf Cooperation Council"."""
    acronyms = set(re.findall(r"\b[A-Z]{2,6}\b", text))
    return [
        run
        for run in _CAPITALISED_RUN.findall(source)
        if "".join(word[0] for word in run.split() if word[0].isupper()) in acronyms
    ]
