"""Question sets: JSON Lines, one question an object, validated whole before anything runs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from index.documents import SourceDocument, body, read_document


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


class Turn(BaseModel):
    """A question and what answers it; one line of a question set is a `Question` (a turn with
    an id) or a `Conversation` (an id and its turns, asked in order, each a follow-up)."""

    # strict: `"answerable": "yes"` is an error, not silently coerced to True
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    question: str
    answerable: bool
    expected_sources: list[str] = []
    sources_mode: Literal["any", "all"] = "all"
    evidence: list[str] = []
    answer_contains: list[str] = []
    kind: str = ""

    @field_validator("question")
    @classmethod
    def _question_not_blank(cls, value: str) -> str:
        return _not_blank(value)


class Question(Turn):
    id: str
    conversation: str = Field("", description="set by the loader: the conversation's id")
    turn: int = Field(0, description="set by the loader: the position in the conversation, from 1")

    @field_validator("id")
    @classmethod
    def _id_not_blank(cls, value: str) -> str:
        return _not_blank(value)


class Conversation(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    id: str
    kind: str = ""
    turns: list[Turn] = Field(min_length=1)

    def questions(self) -> list[Question]:
        """Its turns as questions `<id>#1`, `<id>#2`, ...; a turn without a kind gets the
        conversation's, or "follow-up" after the first."""
        return [
            Question(
                **turn.model_dump(exclude={"kind"}),
                kind=turn.kind or self.kind or ("follow-up" if n > 1 else ""),
                id=f"{self.id}#{n}",
                conversation=self.id,
                turn=n,
            )
            for n, turn in enumerate(self.turns, start=1)
        ]


def schema() -> dict:
    """The JSON Schema of one line of a question set (eval/questions/schema.json)."""
    return TypeAdapter(Question | Conversation).json_schema()


@dataclass(frozen=True)
class Problem:
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.message}"


class QuestionSetError(ValueError):
    """Every problem in a question file, each with its line number and field."""

    def __init__(self, path: Path, problems: list[Problem]) -> None:
        self.path = path
        self.problems = problems
        listed = "\n".join(f"  {problem}" for problem in problems)
        super().__init__(f"{path}: {len(problems)} problem(s):\n{listed}")


def load_questions(
    path: Path, corpus_dir: Path, unindexable: dict[str, str] | None = None
) -> list[Question]:
    """Parse and check a question file; raise QuestionSetError listing every bad line. Given
    `unindexable`, a source that exists but cannot be indexed is no problem: it is recorded there
    (name -> reason) and its questions are the caller's to count as missed."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise QuestionSetError(path, [Problem(0, "file", f"unreadable: {error}")]) from None
    questions: list[Question] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    texts: dict[str, list[str] | str] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        parsed, found = _parse(number, line)
        problems += found
        for question in parsed:
            if question.id in seen:
                problems.append(Problem(number, "id", f"duplicate of line {seen[question.id]}"))
            seen.setdefault(question.id, number)
            problems += _check_sources(number, question, corpus_dir, texts, unindexable)
            questions.append(question)
    if not questions and not problems:
        problems.append(Problem(0, "file", "no questions in the file"))
    if problems:
        raise QuestionSetError(path, problems)
    return questions


def _parse(number: int, line: str) -> tuple[list[Question], list[Problem]]:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as error:
        return [], [
            Problem(number, "json", f"not valid JSON ({error.msg} at column {error.colno})")
        ]
    if not isinstance(data, dict):
        return [], [Problem(number, "json", "must be a JSON object")]
    model = Conversation if "turns" in data else Question
    try:
        parsed = model.model_validate(data)
    except ValidationError as error:
        return [], [
            Problem(number, ".".join(str(part) for part in e["loc"]) or "json", _message(e, model))
            for e in error.errors()
        ]
    return parsed.questions() if isinstance(parsed, Conversation) else [parsed], []


def _message(error: dict, model: type[BaseModel]) -> str:
    if error["type"] == "extra_forbidden":
        fields = sorted(
            (f for f in model.model_fields if f not in ("conversation", "turn")),
            key=lambda f: f != "id",  # the id first, then as declared
        )
        return f"unknown field; the fields are {', '.join(fields)}"
    return error["msg"]


def _check_sources(
    number: int,
    question: Question,
    corpus_dir: Path,
    texts: dict[str, list[str] | str],
    unindexable: dict[str, str] | None,
) -> list[Problem]:
    """Sources must be files in the corpus folder and evidence must be quoted from them: from
    the whole text, or from its body (a sentence a page break cut has its footer left out)."""
    problems: list[Problem] = []
    if question.answerable and not question.expected_sources:
        return [Problem(number, "expected_sources", "an answerable question needs at least one")]
    if not question.answerable:
        for name in ("expected_sources", "evidence", "answer_contains"):
            if getattr(question, name):
                problems.append(Problem(number, name, "must be empty for an unanswerable question"))
        return problems
    for i, name in enumerate(question.expected_sources):
        if name not in texts:
            texts[name] = _searchable(corpus_dir, name)
        found = texts[name]
        if isinstance(found, _Unindexable) and unindexable is not None:
            unindexable[name] = str(found)
        elif isinstance(found, _Unindexable):
            problem = f"{name!r} cannot be indexed: {found}"
            problems.append(Problem(number, f"expected_sources.{i}", problem))
        elif isinstance(found, str):
            problems.append(Problem(number, f"expected_sources.{i}", found))
    known = [found for name in question.expected_sources if isinstance(found := texts[name], list)]
    if len(known) == len(question.expected_sources):
        for i, evidence in enumerate(question.evidence):
            if not any(normalise(evidence) in text for both in known for text in both):
                problems.append(
                    Problem(number, f"evidence.{i}", "not found in any of the expected sources")
                )
    return problems


class _Unindexable(str):
    """Why a file of the folder cannot be indexed (unlike a name that is no file at all)."""


def _searchable(corpus_dir: Path, name: str) -> list[str] | str:
    """What evidence may be found in, whitespace normalised: the whole text and its body (where
    a sentence a page break cut has its footer left out); or why there is none."""
    try:
        doc = source_document(corpus_dir, name)
    except ValueError as error:
        return _Unindexable(str(error))
    if doc is None:
        return f"{name!r} is not a file in {corpus_dir}"
    return [normalise(doc.text), normalise(body(doc))]


def source_document(corpus_dir: Path, doc_id: str) -> SourceDocument | None:
    """The file as the indexer reads it; None if it is not a file of the folder, ValueError if
    it cannot be indexed."""
    path = Path(corpus_dir) / doc_id
    try:
        if not path.resolve().is_relative_to(Path(corpus_dir).resolve()) or not path.is_file():
            return None
    except OSError:
        return None
    return read_document(doc_id, path)


def source_text(corpus_dir: Path, doc_id: str) -> str | None:
    """The text the indexer stores and quotes index into: the file decoded as UTF-8, or the
    text extracted from HTML, PDF or Word (never the raw bytes of those)."""
    try:
        doc = source_document(corpus_dir, doc_id)
    except ValueError:
        return None
    return doc.text if doc else None


def normalise(text: str) -> str:
    """Whitespace-normalised: runs of whitespace become one space."""
    return " ".join(text.split())
