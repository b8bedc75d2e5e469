"""A BEIR-layout folder imported, indexed and scored end to end; malformed folders refused."""

from __future__ import annotations

import json

import pytest
from corpus import SEEDS
from typer.testing import CliRunner

from eval.beir import BeirError, import_beir


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
    with pytest.raises(BeirError, match=r"corpus\.jsonl is missing"):
        import_beir(tmp_path, tmp_path / "out")
    folder, _ = beir_folder(tmp_path / "beir")
    (folder / "queries.jsonl").write_text('{"_id": "q"}\n')
    with pytest.raises(BeirError, match="line 1: needs `_id` and `text`"):
        import_beir(folder, tmp_path / "out")
