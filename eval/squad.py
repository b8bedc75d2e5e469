"""SQuAD 2.0 (`data` -> `paragraphs` -> `context`, `qas`) as a benchmark: each paragraph is a
document `<title>-<n>.txt` (n from 1 in its article), each question one of ours (`is_impossible`:
it must be declined), scored with SQuAD's own exact match and F1 (eval/answers.py) over all,
HasAns and NoAns questions, an abstention counting as the empty answer."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from eval.answers import answer_text, best, exact_match, gold_answers, token_f1
from eval.benchmark import Benchmark, file_name, sample, validation_problems
from eval.questions import Problem, Question, QuestionSetError


class _Answer(BaseModel):
    text: str


class _Qa(BaseModel):
    model_config = ConfigDict(strict=True)

    id: str = Field(min_length=1)
    question: str = Field(min_length=1)
    is_impossible: bool = False  # absent in SQuAD 1.1 files: every question has an answer
    answers: list[_Answer]


class _Paragraph(BaseModel):
    context: str
    qas: list[_Qa]


class _Article(BaseModel):
    title: str
    paragraphs: list[_Paragraph]


class _File(BaseModel):
    data: list[_Article]


COLUMNS = ["questions", "exact", "F1", "exact (short answer)", "F1 (short answer)"]


def load(path: Path, n: int | None = None, seed: int = 0) -> Benchmark:
    """Every paragraph becomes a document; `n` questions are sampled (all without n)."""
    text, parsed = _parse(path)
    documents: dict[str, str] = {}
    questions: list[Question] = []
    golds: dict[str, list[str]] = {}
    problems: list[Problem] = []
    for a, article in enumerate(parsed.data):
        for p, paragraph in enumerate(article.paragraphs):
            name = file_name(f"{article.title}-{p + 1}")
            documents[name] = paragraph.context
            for q, qa in enumerate(paragraph.qas):
                where = f"data.{a}.paragraphs.{p}.qas.{q}"
                texts = list(dict.fromkeys(x.text for x in qa.answers if x.text.strip()))
                if qa.id in golds:
                    problems.append(Problem(_line(text, qa.id), f"{where}.id", "duplicate id"))
                elif not qa.is_impossible and not texts:
                    problems.append(Problem(_line(text, qa.id), f"{where}.answers", "none given"))
                golds[qa.id] = [] if qa.is_impossible else texts
                questions.append(
                    Question(
                        id=qa.id,
                        question=qa.question,
                        answerable=not qa.is_impossible,
                        expected_sources=[] if qa.is_impossible else [name],
                        answer_contains=golds[qa.id],
                        kind="NoAns" if qa.is_impossible else "HasAns",
                    )
                )
    if not questions and not problems:
        problems.append(Problem(0, "data", "no questions in the file"))
    if problems:
        raise QuestionSetError(path, problems)
    return Benchmark(documents, sample(questions, n, seed), SquadScorer(golds))


def _parse(path: Path) -> tuple[str, _File]:
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text)
    except (OSError, UnicodeDecodeError) as error:
        raise QuestionSetError(path, [Problem(0, "file", f"unreadable: {error}")]) from None
    except json.JSONDecodeError as error:
        problem = Problem(
            error.lineno, "json", f"not valid JSON ({error.msg}, column {error.colno})"
        )
        raise QuestionSetError(path, [problem]) from None
    try:
        return text, _File.model_validate(data)
    except ValidationError as error:

        def line(field: str) -> int:  # the line of the nearest question id or article title
            return _line(text, _nearest_name(data, field))

        raise QuestionSetError(path, validation_problems(error, line)) from None


def _nearest_name(data, field: str) -> str:
    """The innermost `id` or `title` on the way to `field` ("" if none)."""
    name = ""
    for part in field.split("."):
        if isinstance(data, dict):
            name = str(data.get("id") or data.get("title") or name)
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
    return name


def _line(text: str, name: str) -> int:
    at = text.find(json.dumps(name)) if name else -1
    return text.count("\n", 0, at) + 1 if at >= 0 else 0


class SquadScorer:
    """SQuAD 2.0's exact match and F1, of the answer text and of the short answer."""

    def __init__(self, golds: dict[str, list[str]]) -> None:
        self.golds = golds

    def score(self, records: list[dict]) -> dict:
        figures = {}  # id -> the four columns, the short answer's falling back on the answer
        shorts = 0
        for record in records:
            declined = record["abstained"] or bool(record["error"])
            golds = gold_answers(self.golds[record["id"]])
            answer = answer_text(record["answer"], declined)
            short = record.get("short_answer")
            concise = answer if short is None else answer_text(short, declined)
            shorts += short is not None and not declined
            figures[record["id"]] = [
                best(score, text, golds)
                for text in (answer, concise)
                for score in (exact_match, token_f1)
            ]
            given = short is not None or declined  # the short columns are empty where missing
            shown = figures[record["id"]][: 4 if given else 2]
            record["benchmark"] = dict(zip(COLUMNS[1 : 1 + len(shown)], shown, strict=True))
        groups = [
            ("all", records),
            ("HasAns", [r for r in records if r["answerable"]]),
            ("NoAns", [r for r in records if not r["answerable"]]),
        ]
        rows = []
        for label, group in groups:
            means = [_mean([figures[r["id"]][i] for r in group]) for i in range(4)]
            rows.append([label, len(group), *means[:2], *(means[2:] if shorts else [None, None])])
        answered = sum(not (r["abstained"] or r["error"]) for r in records)
        return {
            "name": "SQuAD 2.0",
            "columns": COLUMNS,
            "rows": rows,
            "notes": [
                "Exact match and F1 as SQuAD 2.0's official evaluation script computes them "
                "(it prints them x100): lower case, no punctuation, no articles, whitespace "
                "collapsed, the best over the gold answers; a declined or failed question is the "
                "empty answer, which is right for an unanswerable one (NoAns).",
                "'exact' and 'F1' score the answer text as given (without its [n] markers): our "
                "answers are sentences where SQuAD's golds are short spans, so they score low by "
                "construction. The short-answer columns score the pipeline's `short_answer` where "
                f"it gives one ({shorts} of {answered} answers), the answer text elsewhere"
                + ("" if shorts else "; this pipeline gives none, so they are n/a")
                + ".",
            ],
        }


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None
