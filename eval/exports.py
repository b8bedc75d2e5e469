"""A run in the formats other tools read: a TREC run file and BEIR-style qrels for retrieval
(trec_eval, pytrec_eval, ranx), and RAGAS `SingleTurnSample` rows as JSON Lines."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

from eval.metrics import MRR_DEPTH

SourceText = Callable[[str], str | None]


def trec_run(records: Sequence[dict], name: str) -> str:
    """`query-id Q0 doc-id rank score run-name`: each question's documents in the order the
    pipeline ranked them (a document ranks where its first passage does), score 1/rank."""
    lines = []
    for record in records:
        documents = list(dict.fromkeys(p["doc_id"] for p in record["retrieved"]))[:MRR_DEPTH]
        lines += [
            f"{record['id']} Q0 {doc} {rank} {1 / rank:.6f} {name}"
            for rank, doc in enumerate(documents, start=1)
        ]
    return "\n".join(lines) + "\n"


def qrels(records: Sequence[dict]) -> str:
    """BEIR's qrels layout: `query-id<TAB>corpus-id<TAB>score`, each expected source scored 1."""
    rows = ["query-id\tcorpus-id\tscore"]
    rows += [f"{r['id']}\t{doc}\t1" for r in records for doc in r["expected_sources"]]
    return "\n".join(rows) + "\n"


def ragas_rows(records: Sequence[dict], source_text: SourceText) -> list[dict]:
    """One `SingleTurnSample` per answerable question: what was asked, the passages retrieved
    (text and id), the expected sources, the answer and the reference (its evidence)."""
    rows = []
    for record in records:
        if not record["answerable"]:
            continue
        texts = [_text(p, source_text) for p in record["retrieved"]]
        rows.append(
            {
                "user_input": record["question"],
                "retrieved_contexts": texts,
                "retrieved_context_ids": [p["chunk_id"] for p in record["retrieved"]],
                "reference_context_ids": record["expected_sources"],
                "response": record["answer"],
                "reference": " ".join(
                    record.get("evidence") or record.get("answer_contains") or []
                ),
            }
        )
    return rows


def write(records: Sequence[dict], name: str, source_text: SourceText, out: Path) -> list[Path]:
    paths = [out / "run.trec", out / "qrels.tsv", out / "ragas.jsonl"]
    paths[0].write_text(trec_run(records, name), "utf-8")
    paths[1].write_text(qrels(records), "utf-8")
    rows = ragas_rows(records, source_text)
    paths[2].write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return paths


def _text(passage: dict, source_text: SourceText) -> str:
    text = source_text(passage["doc_id"]) or ""
    return text[passage["start"] : passage["end"]]
