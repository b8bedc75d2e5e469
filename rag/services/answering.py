"""Answering for every client: the page, `/ask`, `/v1` and scripts all answer through one
`Answering` per process.

It holds one pipeline per backend (a local model is loaded once), warms the default backend up
in the background (its fallback answers meanwhile, with a note saying so), checks the bounds
every client shares (`rag.settings.TOP_K_MAX`), and limits how many answers are computed at
once, whichever client asked: on 2 cores, answers side by side only slow each other down.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from rag import factory
from rag.pipeline import AnswerPipeline, Turn
from rag.settings import Settings, checked_top_k
from rag.types import Answer, AnswerEvent, Completed, QuestionError

log = logging.getLogger(__name__)

ANSWERS_AT_ONCE = 4  # answers computed at once per process, by all clients together


class Slots:
    """At most `limit` holders at once; the others wait their turn (and are counted)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.waiting = 0
        self._active = 0
        self._turn = threading.Condition()

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._turn:
            self.waiting += 1
            try:
                self._turn.wait_for(lambda: self._active < self.limit)
            finally:
                self.waiting -= 1
            self._active += 1
        try:
            yield
        finally:
            with self._turn:
                self._active -= 1
                self._turn.notify()


@dataclass
class Reply:
    """A question being answered: who answers it, a note for the reader, and the events."""

    backend: str  # the backend whose pipeline answers (the fallback's while warming up)
    fallback: str  # the backend whose checked answer comes first (`FirstAnswer`), if any
    note: str  # e.g. "extractive while the llamacpp model loads"; "" when the asked one answers
    events: Iterator[AnswerEvent]
    generative: bool = False  # its text events are a model's draft, before any check


class Answering:
    def __init__(self, settings: Settings, limit: int = ANSWERS_AT_ONCE) -> None:
        self.settings = settings
        self.slots = Slots(limit)
        self._pipelines: dict[str, AnswerPipeline] = {}
        self.opening = threading.Lock()  # held while a Chroma client opens: never two at once
        self._warming = threading.Event()  # set while the default backend warms up

    def pipeline(self, backend: str) -> AnswerPipeline:
        with self.opening:
            if backend in self._pipelines:
                return self._pipelines[backend]
        chosen = factory.backend(self.settings, backend)  # a local model loads outside the lock
        with self.opening:
            if backend not in self._pipelines:
                self._pipelines[backend] = factory.pipeline(
                    self.settings, backend, answer_backend=chosen
                )
            return self._pipelines[backend]

    @property
    def warming(self) -> bool:
        """The default backend is warming up (its fallback answers meanwhile)."""
        return self._warming.is_set()

    def choose(self, backend: str | None = None) -> tuple[AnswerPipeline, str]:
        """The pipeline that answers now, and a note for the reader: while the default backend
        warms up (a local model loading), its fallback answers and the note says so."""
        backend = backend or self.settings.backend
        fallback = self.settings.fallback
        warming = backend == self.settings.backend and self.warming
        if warming and fallback and fallback != backend:
            return self.pipeline(fallback), f"{fallback} while the {backend} model loads"
        return self.pipeline(backend), ""

    def warm_up(self, question: str) -> None:
        """Before the first visitor (in the background): load the embedder and the default
        backend and answer `question` once, which builds BM25 and, for a local model, loads it
        and caches its prompt prefix. Until then its fallback answers."""
        self._warming.set()
        try:
            pipe = self.pipeline(self.settings.backend)
            with self.slots.held():
                pipe.ask(question)
        except Exception as error:  # the first question reports it properly
            log.warning("warm-up failed: %s", error)
        finally:
            self._warming.clear()

    def warm_up_in_background(self, question: str) -> threading.Thread:
        """`warm_up` in a thread; the fallback answers from now on until it is done."""
        self._warming.set()
        thread = threading.Thread(target=self.warm_up, args=(question,), daemon=True)
        thread.start()
        return thread

    def validate(self, question: str, backend: str | None = None) -> str:
        """The question stripped, or QuestionError (empty, too long): before any work."""
        return self.choose(backend)[0].validate(question)

    def stream(
        self,
        question: str,
        history: Sequence[Turn] = (),
        backend: str | None = None,
        top_k: int | None = None,
        doc_ids: Sequence[str] | None = None,
    ) -> Reply:
        """The answer's events (`rag.types.AnswerEvent`); they are computed, in a slot of the
        limit, while they are read. QuestionError for a question or top_k out of bounds."""
        try:
            checked_top_k(top_k)
        except ValueError as error:
            raise QuestionError(str(error)) from None
        pipe, note = self.choose(backend)
        pipe.validate(question)

        def events() -> Iterator[AnswerEvent]:
            with self.slots.held():
                yield from pipe.stream(question, history, top_k, doc_ids or None)

        fallback = pipe.fallback.name if pipe.fallback else ""
        return Reply(pipe.backend.name, fallback, note, events(), pipe.backend.generative)

    def ask(
        self,
        question: str,
        history: Sequence[Turn] = (),
        backend: str | None = None,
        top_k: int | None = None,
        doc_ids: Sequence[str] | None = None,
    ) -> Answer:
        """The final, checked answer (see `stream`)."""
        *_, last = self.stream(question, history, backend, top_k, doc_ids).events
        assert isinstance(last, Completed)
        return last.answer
