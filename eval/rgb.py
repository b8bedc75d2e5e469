"""RGB (Chen et al., "Benchmarking Large Language Models in Retrieval-Augmented Generation",
data/en.json: JSON Lines of {"id", "query", "answer", "positive", "negative"}) as a benchmark,
built and scored as its evaluation script (evalue.py) does: each question is given PASSAGES
documents, a share `noise` of them negative (the first ones of each list); with `reject`
(negative rejection, noise 1) none is positive and the question must be declined. Accuracy: the
answer holds every part of the gold answer (a part is a string, or a list of alternatives);
rejection rate: the share declined. The documents of every sampled question form one corpus."""

from __future__ import annotations

import math
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from eval.answers import answer_text
from eval.benchmark import Benchmark, json_lines, sample, validation_problems
from eval.questions import Problem, Question, QuestionSetError

PASSAGES = 5  # documents per question, the paper's default

Gold = str | list[str | list[str]]


class Row(BaseModel):
    model_config = ConfigDict(strict=True)

    id: int | str
    query: str = Field(min_length=1)
    answer: Gold
    positive: list[str] = Field(min_length=1)
    negative: list[str]


def load(
    path: Path, n: int | None = None, seed: int = 0, noise: float = 0.0, reject: bool = False
) -> Benchmark:
    """`n` rows sampled (all without n); each becomes a question and its PASSAGES documents."""
    if not 0 <= noise <= 1:
        raise ValueError(f"--rgb-noise {noise}: a share of the documents, from 0 to 1")
    lines, problems = json_lines(path)
    rows: list[tuple[int, Row]] = []
    seen: dict[str, int] = {}
    for number, data in lines:
        try:
            row = Row.model_validate(data)
        except ValidationError as error:
            problems += validation_problems(error, lambda _field, n=number: n)
            continue
        if str(row.id) in seen:
            problems.append(Problem(number, "id", f"duplicate of line {seen[str(row.id)]}"))
        seen.setdefault(str(row.id), number)
        rows.append((number, row))
    if not rows and not problems:
        problems.append(Problem(0, "file", "no rows in the file"))
    if problems:
        raise QuestionSetError(path, problems)
    reject = reject or noise == 1
    documents: dict[str, str] = {}
    questions: list[Question] = []
    golds: dict[str, Gold] = {}
    for _, row in sample(rows, n, seed):
        positives, negatives = _given(row, noise, reject)
        names = [f"{row.id}-pos-{i}.txt" for i in range(1, len(positives) + 1)]
        documents |= dict(zip(names, positives, strict=True))
        documents |= {f"{row.id}-neg-{i}.txt": t for i, t in enumerate(negatives, start=1)}
        golds[str(row.id)] = row.answer
        questions.append(
            Question(
                id=str(row.id),
                question=row.query,
                answerable=not reject,
                expected_sources=names,
                sources_mode="any",
                answer_contains=[] if reject else _alternatives(row.answer),
                kind="rejection" if reject else "rgb",
            )
        )
    return Benchmark(documents, questions, RgbScorer(golds, noise, reject))


def _given(row: Row, noise: float, reject: bool) -> tuple[list[str], list[str]]:
    """The documents evalue.py gives a question: ceil(PASSAGES x noise) negatives, the rest
    positives, fewer of one kind where the other runs short."""
    if reject:
        return [], row.negative[:PASSAGES]
    negatives = math.ceil(PASSAGES * noise)
    positives = PASSAGES - negatives
    if negatives > len(row.negative):
        negatives = len(row.negative)
        positives = PASSAGES - negatives
    elif positives > len(row.positive):
        positives = len(row.positive)
        negatives = PASSAGES - positives
    return row.positive[:positives], row.negative[:negatives]


def _alternatives(gold: Gold) -> list[str]:
    """Every string of the gold answer, for our own `answer_match` (any one of them)."""
    items = [gold] if isinstance(gold, str) else gold
    return [text for item in items for text in ([item] if isinstance(item, str) else item)]


def labels(prediction: str, gold: Gold) -> list[int]:
    """evalue.py's checkanswer: per part of the gold, 1 if the prediction holds it (a list
    part: any one of its alternatives), case-insensitive."""
    prediction = prediction.lower()
    parts = [gold] if isinstance(gold, str) else gold
    return [
        int(any(a.lower() in prediction for a in ([part] if isinstance(part, str) else part)))
        for part in parts
    ]


class RgbScorer:
    def __init__(self, golds: dict[str, Gold], noise: float, reject: bool) -> None:
        self.golds, self.noise, self.reject = golds, noise, reject

    def score(self, records: list[dict]) -> dict:
        right = declined_count = 0
        for record in records:
            declined = record["abstained"] or bool(record["error"])
            found = labels(answer_text(record["answer"], declined), self.golds[record["id"]])
            # evalue.py: a decline (its label -1) is right only where rejection is asked; an
            # answer holding every part of the gold is right in every setting
            correct = (self.reject and declined) or (not declined and 0 not in found and 1 in found)
            record["benchmark"] = {"accuracy": int(correct), "declined": int(declined)}
            right += correct
            declined_count += declined
        n = len(records)
        setting = "negative rejection" if self.reject else f"noise {self.noise:g}"
        return {
            "name": "RGB",
            "columns": ["questions", "accuracy", "rejection rate"],
            "rows": [[setting, n, round(right / n, 4), round(declined_count / n, 4)]],
            "notes": [
                f"RGB's setting: {PASSAGES} documents given per question, "
                f"{'all negative' if self.reject else f'a share {self.noise:g} of them noise'}; "
                "here they are indexed together with every other sampled question's, so the "
                "retriever also meets the other questions' documents.",
                "Accuracy as RGB's evalue.py counts it: the answer holds every part of the gold "
                "answer (case-insensitive; a part that is a list: any one of it), or, for "
                "negative rejection, the question was declined. The rejection rate is the share "
                "declined (our pipeline's own decline stands for RGB's 'insufficient "
                "information' reply).",
            ],
        }
