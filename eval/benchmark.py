"""What the public benchmarks (eval/squad.py, eval/beir.py, eval/rgb.py) share: a benchmark is
documents to index, questions in our model, and a scorer of its own measures; questions are
sampled reproducibly, and a question whose sources could not be indexed counts as missed."""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from pydantic import ValidationError

from eval.metrics import covers
from eval.questions import Problem, Question

T = TypeVar("T")


class Scorer(Protocol):
    def score(self, records: list[dict]) -> dict:
        """The benchmark's own measures as a report table ({"name", "columns", "rows",
        "notes"}); each record gets its own figures under "benchmark"."""
        ...


@dataclass
class Benchmark:
    documents: dict[str, str]  # file name -> text
    questions: list[Question]
    scorer: Scorer | None = None  # None: our own format, no measures of its own
    retrieval_only: bool = False  # score the retriever; no answer is asked for


def sample(items: Sequence[T], n: int | None, seed: int) -> list[T]:
    """n items drawn without replacement (all of them without n), kept in their file order."""
    if n is None or n >= len(items):
        return list(items)
    return [items[i] for i in sorted(random.Random(seed).sample(range(len(items)), n))]


def file_name(doc_id: str) -> str:
    """A safe, unique file name for a document id (ids may hold slashes or be very long)."""
    safe = re.sub(r"[^\w.-]", "_", doc_id)[:80]
    if safe != doc_id:
        safe += "-" + hashlib.sha256(doc_id.encode()).hexdigest()[:8]
    return safe + ".txt"


def write_corpus(documents: dict[str, str], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in documents.items():
        (folder / name).write_text(text, encoding="utf-8")


def missed(questions: Sequence[Question], unindexable: dict[str, str]) -> dict[str, str]:
    """id -> why, for each question its indexable sources can no longer answer."""
    result = {}
    for question in questions:
        lost = [s for s in question.expected_sources if s in unindexable]
        kept = [s for s in question.expected_sources if s not in unindexable]
        if lost and not covers(kept, question):
            result[question.id] = f"{lost[0]!r} cannot be indexed: {unindexable[lost[0]]}"
    return result


def unindexable_table(questions: Sequence[Question], unindexable: dict[str, str]) -> list[dict]:
    """The report's list: each source, why, and the questions that expected it."""
    return [
        {
            "source": source,
            "reason": reason,
            "questions": [q.id for q in questions if source in q.expected_sources],
        }
        for source, reason in sorted(unindexable.items())
    ]


def validation_problems(error: ValidationError, line: Callable[[str], int]) -> list[Problem]:
    """A pydantic error as our `line N: field: message` problems (`line` of a field's path)."""
    problems = []
    for e in error.errors():
        field = ".".join(str(part) for part in e["loc"]) or "json"
        problems.append(Problem(line(field), field, e["msg"]))
    return problems


def json_lines(path: Path) -> tuple[list[tuple[int, Any]], list[Problem]]:
    """(line number, parsed value) for each non-blank line, and the lines that are not JSON."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        return [], [Problem(0, "file", f"unreadable: {error}")]
    rows, problems = [], []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            rows.append((number, json.loads(line)))
        except json.JSONDecodeError as error:
            problems.append(
                Problem(number, "json", f"not valid JSON ({error.msg} at column {error.colno})")
            )
    return rows, problems
