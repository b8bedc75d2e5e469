"""Exports read by the real tools: trec_eval's measures (pytrec_eval) on our TREC run and
qrels agree with our own hit, MRR, recall and nDCG."""

from __future__ import annotations

import json

import pytest

from eval.exports import qrels, ragas_rows, trec_run, write
from eval.metrics import aggregate


def parse_run(text: str) -> dict[str, dict[str, float]]:
    run: dict[str, dict[str, float]] = {}
    for line in text.splitlines():
        qid, _, doc, _, score, _ = line.split()
        run.setdefault(qid, {})[doc] = float(score)
    return run


def parse_qrels(text: str) -> dict[str, dict[str, int]]:
    judged: dict[str, dict[str, int]] = {}
    for line in text.splitlines()[1:]:
        qid, doc, score = line.split("\t")
        judged.setdefault(qid, {})[doc] = int(score)
    return judged


def test_trec_eval_measures_agree_with_ours(dev_records):
    pytrec_eval = pytest.importorskip("pytrec_eval")
    answerable = [r for r in dev_records if r["answerable"]]
    judged, run = parse_qrels(qrels(answerable)), parse_run(trec_run(answerable, "ours"))
    measures = pytrec_eval.RelevanceEvaluator(judged, {"recip_rank", "ndcg_cut.5", "recall.5"})
    scores = measures.evaluate(run)
    ours = aggregate([r["outcomes"] for r in answerable], [1.0] * len(answerable))

    def mean(name: str) -> float:
        return sum(scores.get(r["id"], {}).get(name, 0.0) for r in answerable) / len(answerable)

    assert mean("recip_rank") == pytest.approx(ours["mrr"], abs=1e-3)
    assert mean("ndcg_cut_5") == pytest.approx(ours["ndcg_at_5"], abs=1e-3)
    assert mean("recall_5") == pytest.approx(ours["recall_at_5"], abs=1e-3)


def test_ragas_rows_carry_the_single_turn_sample_fields(dev_records, tmp_path):
    paths = write(dev_records, "ours", lambda doc_id: None, tmp_path)
    assert [p.name for p in paths] == ["run.trec", "qrels.tsv", "ragas.jsonl"]
    rows = [json.loads(line) for line in paths[2].read_text().splitlines()]
    assert len(rows) == sum(r["answerable"] for r in dev_records)
    fields = {"user_input", "retrieved_contexts", "retrieved_context_ids",
              "reference_context_ids", "response", "reference"}  # fmt: skip
    assert all(set(row) == fields for row in rows) and rows
    answerable = [r for r in dev_records if r["answerable"]]
    source = "x" * 100_000
    for row, record in zip(ragas_rows(answerable, lambda _: source), answerable, strict=True):
        spans = [p["end"] - p["start"] for p in record["retrieved"]]
        assert [len(text) for text in row["retrieved_contexts"]] == spans
        assert row["reference_context_ids"] == record["expected_sources"]
