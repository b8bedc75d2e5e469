"""Run a question set through a pipeline: one record per question, never a crash per question."""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Protocol

from tqdm import tqdm

from eval.metrics import aggregate, failed_checks, outcomes, quote_verified
from eval.questions import Question, source_text
from rag.types import Answer, QuestionError


class Answerer(Protocol):
    """What the evaluator needs of a pipeline (ours and the baseline both are one)."""

    def ask(
        self, question: str, history: Sequence[tuple[str, str]] = (), *, top_k: int | None = None
    ) -> Answer: ...


def run(
    questions: Sequence[Question],
    pipeline: Answerer,
    corpus_dir: Path,
    top_k: int | None = None,
    progress: bool = True,
    warm_up: bool = True,
    missed: Mapping[str, str] | None = None,
    retrieval_only: bool = False,
) -> tuple[dict, list[dict]]:
    """Ask every question; return (metrics, per question records).

    With `warm_up`, one untimed question first loads what loads lazily (the BM25 index, ONNX and
    llama.cpp sessions), so latencies are those of a running service, not of a cold start.
    A question in `missed` (id -> why) is not asked and counts as an error.
    """
    texts = cache(lambda doc_id: source_text(corpus_dir, doc_id))
    missed = missed or {}
    asked = [q for q in questions if q.id not in missed]
    if warm_up and asked:
        _ask(pipeline, asked[0].question, (), top_k)
    records, results, latencies = [], [], []
    conversations: dict[str, list[tuple[str, str]]] = {}  # the turns answered so far, each
    bar = tqdm(questions, desc="eval", unit="q", file=sys.stderr, disable=not progress)
    for question in bar:
        bar.set_postfix_str(question.id)
        history = conversations.setdefault(question.conversation, []) if question.turn else []
        started = time.perf_counter()
        if question.id in missed:
            answer, error = None, f"not run: {missed[question.id]}"
        else:
            answer, error = _ask(pipeline, question.question, list(history), top_k)
        if question.turn:
            history.append((question.question, answer.answer if answer else ""))
        latency = round((time.perf_counter() - started) * 1000, 1)
        latencies.append(latency if answer is not None else None)
        if answer is not None:
            error = answer.error
        outcome = outcomes(question, _with_error(answer, error, question), texts, retrieval_only)
        results.append(outcome)
        records.append(_record(question, answer, error, outcome, latency, texts))
    return aggregate(results, latencies), records


RETRIEVAL_DEPTH = 100  # passages a retrieval-only run ranks (BEIR's recall@100)


class RetrievalOnly:
    """A pipeline's retriever as an `Answerer` that writes no answer (BEIR scores retrieval
    only): the answer is empty, the passages are the retriever's top `depth`, its dense and
    BM25 candidate pools widened to `depth` each so that there are that many to rank."""

    def __init__(self, retriever, depth: int = RETRIEVAL_DEPTH) -> None:
        retriever.config = replace(
            retriever.config, candidates=max(retriever.config.candidates, depth)
        )
        self.retriever, self.depth = retriever, depth

    def ask(
        self, question: str, history: Sequence[tuple[str, str]] = (), *, top_k: int | None = None
    ) -> Answer:
        passages = self.retriever.retrieve(question, top_k=top_k or self.depth).passages
        return Answer(question=question, answer="", retrieved=passages, backend="retrieval only")


def _ask(
    pipeline: Answerer, question: str, history: list[tuple[str, str]], top_k: int | None
) -> tuple[Answer | None, str | None]:
    try:
        return pipeline.ask(question, history, top_k=top_k), None
    except QuestionError as error:
        return None, f"rejected: {error}"
    except Exception as error:  # one broken question must not lose the whole run
        return None, f"{type(error).__name__}: {error}"


def _with_error(answer: Answer | None, error: str | None, question: Question) -> Answer:
    if answer is None:
        return Answer(question=question.question, answer="", backend="", error=error)
    return answer


def _record(
    question: Question,
    answer: Answer | None,
    error: str | None,
    outcome: dict,
    latency: float,
    texts,
) -> dict:
    record = {
        "id": question.id,
        "question": question.question,
        "kind": question.kind,
        "conversation": question.conversation,
        "turn": question.turn,
        "answerable": question.answerable,
        "expected_sources": question.expected_sources,
        "sources_mode": question.sources_mode,
        "evidence": question.evidence,
        "answer_contains": question.answer_contains,
        "answer": answer.answer if answer else "",
        # the concise answer, where the pipeline gives one (None where it has no such field)
        "short_answer": getattr(answer, "short_answer", None),
        "answered_by": answer.backend if answer else "",
        "abstained": bool(answer and answer.abstained),
        "error": error,
        "citations": [],
        "retrieved": [],
        "outcomes": outcome,
        "failed": failed_checks(question, outcome),
        "latency_ms": latency if answer else None,
        "timings_ms": answer.timings_ms if answer else {},
    }
    if answer:
        record["citations"] = [
            c.model_dump(include={"n", "doc_id", "quote", "start", "end"})
            | {"verified": quote_verified(c, texts)}
            for c in answer.citations
        ]
        record["retrieved"] = [
            {"rank": rank} | p.model_dump(include={"doc_id", "chunk_id", "start", "end", "score"})
            for rank, p in enumerate(answer.retrieved, start=1)
        ]
    return record
