"""Users' ratings as a question set in the eval format (eval/questions.py), so their
judgements become regression tests.

An up-voted answer gives its question, the documents it cited (expected sources) and its
quotes (evidence); an up-voted "The documents don't say." gives an unanswerable question.
A down-voted abstention says the documents do answer, but not where: it needs a person to
name the source, as does a down-voted answer, so neither is exported (they are counted).
A question rated more than once counts with its latest rating.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from eval.questions import Question
from rag.services.chats import Feedback


@dataclass(frozen=True)
class Exported:
    questions: list[Question]
    skipped: int  # down-voted: what was wrong needs a person to say


def questions_from(ratings: Sequence[Feedback]) -> Exported:
    latest = {" ".join(r.answer.question.split()).lower(): r for r in ratings}
    questions: list[Question] = []
    for rating in latest.values():
        if not rating.liked:
            continue
        answer = rating.answer
        questions.append(
            Question(
                id=f"feedback-{len(questions) + 1:03d}",
                question=answer.question,
                answerable=not answer.abstained,
                expected_sources=sorted({c.doc_id for c in answer.citations}),
                evidence=list(dict.fromkeys(c.quote for c in answer.citations)),
                kind="feedback",
            )
        )
    return Exported(questions, skipped=sum(not r.liked for r in latest.values()))


def write(questions: Sequence[Question], path: Path) -> None:
    lines = (
        json.dumps(q.model_dump(exclude={"conversation", "turn"}), ensure_ascii=False)
        for q in questions
    )
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
