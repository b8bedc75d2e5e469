"""BEIR (`corpus.jsonl`, `queries.jsonl`, `qrels/<split>.tsv`) as a benchmark: every document a
text file, every judged query a retrieval question (`sources_mode` "any"), scored on retrieval
alone with BEIR's measures: nDCG@10 and recall@100 as trec_eval (pytrec_eval) computes them on
the graded qrels, MRR@10 as BEIR's own `mrr` does. `rag eval --format beir DIR` runs it;
`rag beir-import DIR --out OUT` writes it as a corpus folder and a question set instead."""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from eval.benchmark import Benchmark, file_name, json_lines, sample, write_corpus
from eval.questions import Problem, Question, QuestionSetError

NDCG_DEPTH, RECALL_DEPTH, MRR_DEPTH = 10, 100, 10


@dataclass(frozen=True)
class Folder:
    documents: dict[str, str]  # file name -> title and text
    questions: list[Question]
    qrels: dict[str, dict[str, int]]  # query id -> file name -> relevance grade
    skipped_queries: int  # queries without a relevant document in the qrels


def read(folder: Path, split: str = "test") -> Folder:
    corpus, queries = folder / "corpus.jsonl", folder / "queries.jsonl"
    judged = folder / "qrels" / f"{split}.tsv"
    for path in (corpus, queries, judged):
        if not path.is_file():
            problem = Problem(0, "file", f"missing: a BEIR folder holds corpus.jsonl, "
                              f"queries.jsonl and qrels/{split}.tsv")  # fmt: skip
            raise QuestionSetError(path, [problem])
    names: dict[str, str] = {}
    documents: dict[str, str] = {}
    for row in _rows(corpus):
        name = names[str(row["_id"])] = file_name(str(row["_id"]))
        text = "\n\n".join(part for part in (row.get("title"), row.get("text")) if part)
        documents[name] = text.strip() + "\n"
    qrels = {
        query: {names[doc]: grade for doc, grade in grades.items() if doc in names}
        for query, grades in _qrels(judged).items()
    }
    questions, skipped = [], 0
    for row in _rows(queries):
        relevant = sorted(d for d, grade in qrels.get(str(row["_id"]), {}).items() if grade > 0)
        if not relevant:
            skipped += 1
            continue
        question = Question(
            id=str(row["_id"]),
            question=row["text"],
            answerable=True,
            expected_sources=relevant,
            sources_mode="any",
            kind="beir",
        )
        questions.append(question)
    return Folder(documents, questions, qrels, skipped)


def load(folder: Path, n: int | None = None, seed: int = 0, split: str = "test") -> Benchmark:
    read_ = read(folder, split)
    questions = sample(read_.questions, n, seed)
    return Benchmark(read_.documents, questions, BeirScorer(read_.qrels), retrieval_only=True)


def import_beir(folder: Path, out: Path, split: str = "test") -> Folder:
    """Write the folder as `out/corpus/` (one text file per document) and `out/questions.jsonl`."""
    read_ = read(folder, split)
    write_corpus(read_.documents, out / "corpus")
    lines = (json.dumps(q.model_dump(exclude_defaults=True), ensure_ascii=False) + "\n"
             for q in read_.questions)  # fmt: skip
    (out / "questions.jsonl").write_text("".join(lines), encoding="utf-8")
    return read_


def _rows(path: Path) -> Iterator[dict]:
    rows, problems = json_lines(path)
    for number, row in rows:
        for field in ("_id", "text"):
            if not isinstance(row, dict) or not isinstance(row.get(field), str | int):
                problems.append(Problem(number, field, "missing (a row needs `_id` and `text`)"))
    if problems:
        raise QuestionSetError(path, problems)
    yield from (row for _, row in rows)


def _qrels(path: Path) -> dict[str, dict[str, int]]:
    grades: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8", newline="") as rows:
        for number, row in enumerate(csv.DictReader(rows, delimiter="\t"), start=2):
            try:
                grades.setdefault(row["query-id"], {})[row["corpus-id"]] = int(row["score"])
            except (KeyError, TypeError, ValueError):
                problem = Problem(number, "score", "expected columns query-id, corpus-id, score "
                                  "(an integer), tab-separated, under a header")  # fmt: skip
                raise QuestionSetError(path, [problem]) from None
    return grades


def ndcg(ranked: Sequence[str], grades: dict[str, int], k: int = NDCG_DEPTH) -> float:
    """trec_eval's ndcg_cut.k: gain is the relevance grade, discount log2(rank + 1)."""
    dcg = sum(max(grades.get(d, 0), 0) / math.log2(r + 1) for r, d in enumerate(ranked[:k], 1))
    best = sorted((g for g in grades.values() if g > 0), reverse=True)[:k]
    ideal = sum(g / math.log2(r + 1) for r, g in enumerate(best, 1))
    return dcg / ideal if ideal else 0.0


def recall(ranked: Sequence[str], grades: dict[str, int], k: int = RECALL_DEPTH) -> float:
    """trec_eval's recall.k: the relevant documents (grade >= 1) in the top k, of all of them."""
    relevant = {d for d, g in grades.items() if g >= 1}
    return len(relevant & set(ranked[:k])) / len(relevant) if relevant else 0.0


def reciprocal_rank(ranked: Sequence[str], grades: dict[str, int], k: int = MRR_DEPTH) -> float:
    """BEIR's MRR@k for one query: 1 / the rank of the first document graded above 0."""
    return next((1 / r for r, d in enumerate(ranked[:k], 1) if grades.get(d, 0) > 0), 0.0)


class BeirScorer:
    def __init__(self, qrels: dict[str, dict[str, int]]) -> None:
        self.qrels = qrels

    def score(self, records: list[dict]) -> dict:
        columns = [f"nDCG@{NDCG_DEPTH}", f"recall@{RECALL_DEPTH}", f"MRR@{MRR_DEPTH}"]
        for record in records:
            ranked = list(dict.fromkeys(p["doc_id"] for p in record["retrieved"]))
            grades = self.qrels[record["id"]]
            figures = (
                ndcg(ranked, grades),
                recall(ranked, grades),
                reciprocal_rank(ranked, grades),
            )
            record["benchmark"] = dict(zip(columns, (round(f, 4) for f in figures), strict=True))
        means = [
            round(sum(r["benchmark"][c] for r in records) / len(records), 4) if records else None
            for c in columns
        ]
        return {
            "name": "BEIR",
            "columns": ["queries", *columns],
            "rows": [["retrieval", len(records), *means]],
            "notes": [
                "Retrieval only (no answer is written): the retriever's passages, a document "
                "ranked where its first passage is, at most 100 passages per query (the dense "
                "and BM25 candidate pools widened to 100 each). nDCG@10 and recall@100 as "
                "trec_eval computes them on the graded qrels, MRR@10 as BEIR's `mrr`; the mean "
                "is over the queries with a relevant document.",
            ],
        }
