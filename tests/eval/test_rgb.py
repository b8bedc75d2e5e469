"""RGB rows: the documents each question is given (noise, negative rejection), RGB's accuracy
and rejection rate worked out by hand, malformed rows refused with line and field."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from eval import rgb
from eval.questions import QuestionSetError

ROWS = [
    {"id": 0, "query": "Where was the 2021 final played?", "answer": [["Tampa", "Tampa, Florida"]],
     "positive": ["p0-1 The 2021 final was played in Tampa.", "p0-2 Tampa hosted it.",
                  "p0-3 In Tampa, Florida.", "p0-4 Tampa again."],
     "negative": ["n0-1 The 2023 final was in Glendale.", "n0-2 Tickets are on sale.",
                  "n0-3 Vegas hosts 2024."]},
    {"id": 1, "query": "Who won the prize in 2022?", "answer": ["Annie Ernaux", "2022"],
     "positive": ["p1-1 Annie Ernaux won the 2022 prize.", "p1-2 Ernaux, 2022 laureate."],
     "negative": ["n1-1 The 2021 prize went elsewhere.", "n1-2 A shortlist.", "n1-3 History.",
                  "n1-4 Rules.", "n1-5 The ceremony."]},
]  # fmt: skip


def rgb_file(path, rows=ROWS):
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def test_the_documents_each_question_is_given(tmp_path):
    path = rgb_file(tmp_path / "en.json")
    # noise 0.4 of 5: ceil(2.0) = 2 negatives, 3 positives; row 1 has only 2 positives: 3 negatives
    bench = rgb.load(path, noise=0.4)
    assert sorted(bench.documents) == sorted(
        ["0-pos-1.txt", "0-pos-2.txt", "0-pos-3.txt", "0-neg-1.txt", "0-neg-2.txt",
         "1-pos-1.txt", "1-pos-2.txt", "1-neg-1.txt", "1-neg-2.txt", "1-neg-3.txt"]
    )  # fmt: skip
    first = bench.questions[0]
    assert first.expected_sources == ["0-pos-1.txt", "0-pos-2.txt", "0-pos-3.txt"]
    assert first.sources_mode == "any" and first.answer_contains == ["Tampa", "Tampa, Florida"]
    # noise 0: five positives wanted, four there: one negative fills the place
    assert sorted(rgb.load(path).documents)[:5] == [
        "0-neg-1.txt",
        "0-pos-1.txt",
        "0-pos-2.txt",
        "0-pos-3.txt",
        "0-pos-4.txt",
    ]
    rejecting = rgb.load(path, reject=True)
    assert all(name.split("-")[1] == "neg" for name in rejecting.documents)
    assert len(rejecting.documents) == 3 + 5
    assert not any(q.answerable for q in rejecting.questions)
    assert rgb.load(path, noise=1.0).questions[0].answerable is False  # noise 1 is rejection
    assert [q.id for q in rgb.load(path, n=1, seed=3).questions] == [
        q.id for q in rgb.load(path, n=1, seed=3).questions
    ]


def test_labels_as_rgbs_checkanswer():
    assert rgb.labels("It was in tampa.", [["Tampa", "Tampa, Florida"]]) == [1]
    assert rgb.labels("Ernaux won it.", ["Annie Ernaux", "2022"]) == [0, 0]  # every part needed
    assert rgb.labels("Annie Ernaux, in 2022.", ["Annie Ernaux", "2022"]) == [1, 1]
    assert rgb.labels("Glendale", "Tampa") == [0]


def record(id_, answer, abstained=False) -> dict:
    return {"id": id_, "answer": answer, "abstained": abstained, "error": None}


def test_accuracy_and_rejection_rate_by_hand(tmp_path):
    path = rgb_file(tmp_path / "en.json")
    records = [record("0", "In Tampa [1]."), record("1", "The documents don't say.", True)]
    table = rgb.load(path, noise=0.4).scorer.score(records)
    assert table["rows"] == [["noise 0.4", 2, 0.5, 0.5]]  # a decline is wrong with positives
    assert records[0]["benchmark"] == {"accuracy": 1, "declined": 0}
    records = [record("0", "Glendale [1]."), record("1", "The documents don't say.", True)]
    table = rgb.load(path, reject=True).scorer.score(records)
    assert table["rows"] == [["negative rejection", 2, 0.5, 0.5]]  # the decline is right


def test_malformed_rows_are_refused_with_line_and_field(tmp_path):
    rows = [ROWS[0], {k: v for k, v in ROWS[1].items() if k != "query"}]
    path = rgb_file(tmp_path / "en.json", rows)
    path.write_text(path.read_text() + "\n{not json\n" + json.dumps(ROWS[0] | {"positive": []}))
    with pytest.raises(QuestionSetError) as raised:
        rgb.load(path)
    text = str(raised.value)
    assert "line 2: query: Field required" in text
    assert "line 4: json: not valid JSON" in text
    assert "line 5: positive: List should have at least 1 item" in text
    assert "line 5: id: duplicate of line 1" not in text  # a row refused is not counted
    with pytest.raises(ValueError, match="from 0 to 1"):
        rgb.load(rgb_file(path, ROWS), noise=1.5)


def test_rag_eval_runs_an_rgb_file(tmp_path):
    from ui.cli import app

    out = tmp_path / "out"
    args = ["eval", "--format", "rgb", str(rgb_file(tmp_path / "en.json")), "--rgb-noise", "0.4",
            "--backend", "extractive", "-q", "--out", str(out)]  # fmt: skip
    result = CliRunner().invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    assert report["benchmark"]["rows"][0][:2] == ["noise 0.4", 2]
    assert report["config"]["rgb_noise"] == 0.4 and report["config"]["format"] == "rgb"
    assert {r["id"] for r in report["questions"]} == {"0", "1"}


def test_a_document_that_cannot_be_indexed_is_named_and_its_question_missed(tmp_path):
    from ui.cli import app

    path = rgb_file(tmp_path / "en.json", [ROWS[0] | {"positive": [""]}, ROWS[1]])
    args = ["eval", "--format", "rgb", str(path), "--backend", "extractive", "-q"]
    strict = CliRunner().invoke(app, [*args, "--strict", "--out", str(tmp_path / "strict")])
    assert strict.exit_code == 2, strict.output
    assert "'0-pos-1.txt' cannot be indexed: empty file" in strict.output
    assert "nothing was run" in strict.output and not (tmp_path / "strict").exists()
    out = tmp_path / "out"
    result = CliRunner().invoke(app, [*args, "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    assert report["unindexable"] == [
        {"source": "0-pos-1.txt", "reason": "empty file", "questions": ["0"]}
    ]
    missed = next(r for r in report["questions"] if r["id"] == "0")
    assert missed["error"] == "not run: '0-pos-1.txt' cannot be indexed: empty file"
    assert missed["benchmark"]["accuracy"] == 0 and missed["retrieved"] == []
