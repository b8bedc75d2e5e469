"""The one answer type every consumer renders: CLI --json, the chat UI, the evaluator."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field

from index.nlp import Mention


class Passage(BaseModel):
    """A retrieved chunk, numbered as the model saw it ([n])."""

    n: int
    chunk_id: str
    doc_id: str
    title: str
    text: str
    start: int
    end: int
    score: float
    tokens: int = 0  # cl100k_base tokens of `text` as indexed (0: not known, count them)
    metadata: dict[str, Any] = Field(default_factory=dict)
    entities: list[Mention] = Field(default_factory=list)  # found at index time; absolute offsets


class Citation(BaseModel):
    """An exact quote: `source_text(doc_id)[start:end] == quote`, checked before it is shown."""

    n: int
    doc_id: str
    title: str
    quote: str
    start: int
    end: int
    score: float
    chunk_id: str = ""
    publisher: str | None = None
    author: str | None = None
    date: str | None = None
    page: int | None = None  # where the quote sits: its page (PDF), its heading (Word, Markdown)
    section: str | None = None
    before: str = ""  # the quote's paragraph before and after it, for showing it in place
    after: str = ""


class AnswerSentence(BaseModel):
    text: str
    citations: list[int] = Field(default_factory=list)  # Citation.n values
    supported: bool = True


class Answer(BaseModel):
    question: str
    standalone_question: str = ""
    answer: str
    #: the asked thing in the answer's words ("about 200 km"), where one entity says it
    short_answer: str | None = None
    sentences: list[AnswerSentence] = Field(default_factory=list)
    abstained: bool = False
    citations: list[Citation] = Field(default_factory=list)
    retrieved: list[Passage] = Field(default_factory=list)
    backend: str
    error: str | None = None
    timings_ms: dict[str, float] = Field(default_factory=dict)
    #: the backend whose answer replaced the checked first answer (`FirstAnswer`), if one did
    refined_by: str | None = None

    def decline(self, text: str) -> Answer:
        """Turn this into a decline saying `text` ("The documents don't say."), uncited."""
        self.abstained = True
        self.answer = text
        self.sentences = [AnswerSentence(text=text, supported=False)]
        self.citations = []
        return self

    def to_json_dict(self) -> dict[str, Any]:
        """The public JSON shape of `rag ask --json`."""
        return {
            "question": self.question,
            "answer": self.answer,
            "short_answer": self.short_answer,
            "abstained": self.abstained,
            "citations": [
                c.model_dump(
                    include={
                        "n",
                        "doc_id",
                        "title",
                        "quote",
                        "start",
                        "end",
                        "score",
                        "page",
                        "section",
                    }
                )
                for c in self.citations
            ],
            "retrieved": [
                p.model_dump(include={"doc_id", "chunk_id", "start", "end", "score"})
                for p in self.retrieved
            ],
            "backend": self.backend,
            "timings_ms": self.timings_ms,
            "error": self.error,
            "refined_by": self.refined_by,
            "standalone_question": self.standalone_question,
            "sentences": [s.model_dump() for s in self.sentences],
        }


class QuestionError(ValueError):
    """A question we refuse before any work: empty, or over the length limit."""


@dataclass(frozen=True)
class TextDelta:
    """A piece of answer text as the backend generates it (before support is checked)."""

    text: str


@dataclass(frozen=True)
class FirstAnswer:
    """The checked extractive answer, shown at once while a model writes its own; the
    `Completed` answer that follows is either this one again or the model's, which passed every
    check (then its `refined_by` names the model)."""

    answer: Answer


@dataclass(frozen=True)
class Completed:
    """The final, checked answer: always the last event of a stream."""

    answer: Answer


AnswerEvent = TextDelta | FirstAnswer | Completed
