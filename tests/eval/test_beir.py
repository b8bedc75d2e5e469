"""A BEIR-layout folder imported, indexed and scored end to end; BEIR's measures worked out by
hand and checked against pytrec_eval on the same run; malformed folders refused."""

from __future__ import annotations

import json
import math
import random

import pytest
from corpus import SEEDS
from typer.testing import CliRunner

from eval import beir
from eval.beir import import_beir
from eval.questions import QuestionSetError


def beir_folder(root):
    """A small BEIR folder made from the seed articles: one document per paragraph."""
    corpus, queries, qrels = [], [], ["query-id\tcorpus-id\tscore"]
    for seed in sorted(SEEDS.glob("*.txt")):
        paragraphs = [p for p in seed.read_text(encoding="utf-8").split("\n\n") if len(p) > 400]
        for i, paragraph in enumerate(paragraphs[:3]):
            doc_id = f"{seed.stem}/p{i}"  # a slash, as some BEIR ids have
            corpus.append({"_id": doc_id, "title": seed.stem, "text": paragraph.strip()})
            words = paragraph.split()
            queries.append({"_id": f"q-{seed.stem}-{i}", "text": " ".join(words[10:22])})
            qrels.append(f"q-{seed.stem}-{i}\t{doc_id}\t1")
    queries.append({"_id": "unjudged", "text": "a query nobody judged"})
    root.mkdir()
    (root / "qrels").mkdir()
    (root / "corpus.jsonl").write_text("".join(json.dumps(r) + "\n" for r in corpus))
    (root / "queries.jsonl").write_text("".join(json.dumps(r) + "\n" for r in queries))
    (root / "qrels" / "test.tsv").write_text("\n".join(qrels) + "\n")
    return root, len(corpus)


def test_a_beir_folder_is_imported_indexed_and_scored(tmp_path, monkeypatch):
    from ui.cli import app

    folder, documents = beir_folder(tmp_path / "beir")
    out = tmp_path / "out"
    runner = CliRunner()
    imported = runner.invoke(app, ["beir-import", str(folder), "--out", str(out)])
    assert imported.exit_code == 0, imported.output
    assert f"{documents} documents" in imported.output and "1 queries without" in imported.output
    assert len(list((out / "corpus").glob("*.txt"))) == documents
    monkeypatch.setenv("RAG_STORE_DIR", str(tmp_path / "store"))
    indexed = runner.invoke(app, ["index", "-q", str(out / "corpus")])
    assert indexed.exit_code == 0, indexed.output
    scored = runner.invoke(
        app,
        ["eval", str(out / "questions.jsonl"), "--corpus", str(out / "corpus"),
         "--backend", "extractive", "-q", "--out", str(tmp_path / "report")],
    )  # fmt: skip
    assert scored.exit_code == 0, scored.output
    metrics = json.loads((tmp_path / "report" / "report.json").read_text())["metrics"]
    assert metrics["hit_at_5"] >= 0.8 and metrics["ndcg_at_5"] >= 0.6  # queries cut from docs


def test_a_folder_that_is_not_beir_is_refused(tmp_path):
    with pytest.raises(QuestionSetError, match=r"(?s)corpus\.jsonl: 1 problem.*file: missing"):
        import_beir(tmp_path, tmp_path / "out")
    folder, _ = beir_folder(tmp_path / "beir")
    (folder / "queries.jsonl").write_text('{"_id": "q1", "text": "fine"}\n{"_id": "q"}\n')
    with pytest.raises(QuestionSetError, match="line 2: text: missing"):
        import_beir(folder, tmp_path / "out")
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\thigh\n")
    with pytest.raises(QuestionSetError, match="line 2: score"):
        beir.load(folder)


GRADES = {"d1": 2, "d2": 1, "d9": 1, "d4": 0}


def test_beir_measures_by_hand():
    ranked = ["d3", "d1", "d4", "d2"]
    # DCG: 2/log2(3) + 1/log2(5); ideal: 2 + 1/log2(3) + 1/log2(4)
    dcg = 2 / math.log2(3) + 1 / math.log2(5)
    assert beir.ndcg(ranked, GRADES) == pytest.approx(dcg / (2 + 1 / math.log2(3) + 0.5))
    assert beir.recall(ranked, GRADES) == pytest.approx(2 / 3)  # d9 never retrieved
    assert beir.reciprocal_rank(ranked, GRADES) == 0.5
    assert beir.reciprocal_rank(["d4", "d3"], GRADES) == 0.0  # graded 0 is not relevant
    assert beir.ndcg(ranked, GRADES, k=1) == 0.0 and beir.recall(ranked, GRADES, k=2) == 1 / 3


def test_beir_measures_agree_with_pytrec_eval():
    import pytrec_eval

    rng = random.Random(7)
    docs = [f"d{i}" for i in range(150)]
    qrels = {f"q{q}": {d: rng.choice([0, 1, 1, 2]) for d in rng.sample(docs, 6)} for q in range(20)}
    run = {q: rng.sample(docs, 120) for q in qrels}
    scored = {q: {d: 1 / r for r, d in enumerate(ranked, 1)} for q, ranked in run.items()}
    measures = {"ndcg_cut.10", "recall.100", "recip_rank"}
    reference = pytrec_eval.RelevanceEvaluator(qrels, measures).evaluate(scored)
    cut = {q: {d: 1 / r for r, d in enumerate(ranked[:10], 1)} for q, ranked in run.items()}
    mrr = pytrec_eval.RelevanceEvaluator(qrels, {"recip_rank"}).evaluate(cut)
    for q, ranked in run.items():
        assert beir.ndcg(ranked, qrels[q]) == pytest.approx(reference[q]["ndcg_cut_10"])
        assert beir.recall(ranked, qrels[q]) == pytest.approx(reference[q]["recall_100"])
        assert beir.reciprocal_rank(ranked, qrels[q]) == pytest.approx(mrr[q]["recip_rank"])


def test_rag_eval_runs_a_beir_folder_retrieval_only(tmp_path):
    import pytrec_eval

    from ui.cli import app

    folder, documents = beir_folder(tmp_path / "beir")
    out = tmp_path / "out"
    args = ["eval", "--format", "beir", str(folder), "--backend", "extractive", "-q",
            "--out", str(out)]  # fmt: skip
    result = CliRunner().invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    assert report["metrics"]["answer_match"] is None and report["metrics"]["hit_at_5"] >= 0.8
    assert all(r["answer"] == "" for r in report["questions"])  # no answer was written
    assert report["config"]["top_k"] == 100
    qrels = {r["id"]: {d: 1 for d in r["expected_sources"]} for r in report["questions"]}
    run = {
        r["id"]: {
            d: 1 / n for n, d in enumerate(dict.fromkeys(p["doc_id"] for p in r["retrieved"]), 1)
        }
        for r in report["questions"]
    }
    reference = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut.10", "recall.100"}).evaluate(run)
    _, queries, ndcg, recall, _ = report["benchmark"]["rows"][0]
    assert queries == len(qrels) == documents  # one query per document, the unjudged one left out
    assert ndcg == pytest.approx(
        sum(q["ndcg_cut_10"] for q in reference.values()) / queries, abs=1e-4
    )
    assert recall == pytest.approx(
        sum(q["recall_100"] for q in reference.values()) / queries, abs=1e-4
    )
