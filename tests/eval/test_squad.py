"""SQuAD 2.0 files: loaded into documents and questions, scored with SQuAD's own measures (worked
out by hand below), malformed files refused with line and field, and one run end to end."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from eval import squad
from eval.questions import QuestionSetError

CONTEXT_1 = (
    "The Normans were the people who in the 10th and 11th centuries gave their name to "
    "Normandy, a region in France. They were descended from Norse raiders led by Rollo."
)
CONTEXT_2 = "The railway between the two harbours is 200 kilometres long and opened in 2024."
CONTEXT_3 = "The lighthouse on the northern cape was painted red and white in 1921."


def qa(id_: str, question: str, *answers: str) -> dict:
    return {
        "id": id_,
        "question": question,
        "answers": [{"text": a, "answer_start": 0} for a in answers],
        "is_impossible": not answers,
    }


def squad_file(path):
    data = {
        "version": "v2.0",
        "data": [
            {
                "title": "Normans",
                "paragraphs": [
                    {
                        "context": CONTEXT_1,
                        "qas": [
                            qa("q1", "In what country is Normandy located?", "France", "France"),
                            qa("q2", "When were the Normans in Normandy?",
                               "10th and 11th centuries", "in the 10th and 11th centuries"),
                            qa("q3", "Who was the Norse leader's grandfather?"),
                        ],
                    },
                    {"context": CONTEXT_2,
                     "qas": [qa("q4", "How long is the railway?", "200 kilometres")]},
                ],
            },
            {
                "title": "Lighthouse of the cape",
                "paragraphs": [
                    {"context": CONTEXT_3, "qas": [qa("q5", "Who built the lighthouse?")]}
                ],
            },
        ],
    }  # fmt: skip
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


def test_paragraphs_become_documents_and_questions_ours(tmp_path):
    bench = squad.load(squad_file(tmp_path / "dev.json"))
    assert bench.documents == {
        "Normans-1.txt": CONTEXT_1,
        "Normans-2.txt": CONTEXT_2,
        "Lighthouse_of_the_cape-1-" + bench_suffix(bench) + ".txt": CONTEXT_3,
    }
    by_id = {q.id: q for q in bench.questions}
    assert by_id["q1"].expected_sources == ["Normans-1.txt"]
    assert by_id["q1"].answer_contains == ["France"]  # duplicates once
    assert by_id["q3"].answerable is False and by_id["q3"].expected_sources == []
    assert [q.kind for q in bench.questions] == ["HasAns", "HasAns", "NoAns", "HasAns", "NoAns"]
    sampled = squad.load(squad_file(tmp_path / "dev.json"), n=2, seed=1).questions
    assert len(sampled) == 2 and sampled == squad.load(tmp_path / "dev.json", 2, 1).questions


def bench_suffix(bench) -> str:
    name = next(n for n in bench.documents if n.startswith("Lighthouse"))
    return name.removesuffix(".txt").rsplit("-", 1)[1]  # a hash: the title had spaces


def record(id_, answer, answerable=True, abstained=False, short=None, error=None) -> dict:
    return {"id": id_, "answer": answer, "answerable": answerable, "abstained": abstained,
            "error": error, "short_answer": short}  # fmt: skip


def test_squads_exact_match_and_f1_by_hand(tmp_path):
    scorer = squad.load(squad_file(tmp_path / "dev.json")).scorer
    records = [
        record("q1", "Normandy is a region in France [1].", short="France"),
        record("q2", "In the 10th and 11th centuries [1]."),
        record("q3", "The documents don't say.", answerable=False, abstained=True),
        record("q5", "Rollo.", answerable=False),
        record("q4", "", error="RuntimeError: boom"),
    ]
    table = scorer.score(records)
    rows = {row[0]: row[1:] for row in table["rows"]}
    # q1: "normandy is region in france" vs "france": p 1/5, r 1 -> F1 1/3, exact 0
    # q2: exact (the second gold, normalised); q3: declined, the empty answer: exact
    # q5: answered an unanswerable question: 0; q4: failed, the empty answer: 0
    assert rows["all"][:3] == [5, 0.4, pytest.approx((1 / 3 + 1 + 1) / 5, abs=1e-4)]
    assert rows["HasAns"][:3] == [3, pytest.approx(1 / 3, abs=1e-4), pytest.approx(4 / 9, abs=1e-4)]
    assert rows["NoAns"][:3] == [2, 0.5, 0.5]
    # short answers: q1's "France" is exact; the others fall back on their answer text
    assert rows["all"][3:] == [0.6, 0.6]
    assert records[0]["benchmark"]["exact (short answer)"] == 1.0
    assert "exact (short answer)" not in records[1]["benchmark"]  # empty where missing
    assert "1 of 3 answers" in table["notes"][1]
    for r in records:
        r["short_answer"] = None
    rows = {row[0]: row[1:] for row in scorer.score(records)["rows"]}
    assert rows["all"][3:] == [None, None]  # no short answer at all: n/a


def test_a_malformed_file_is_refused_with_line_and_field(tmp_path):
    path = squad_file(tmp_path / "dev.json")
    data = json.loads(path.read_text())
    del data["data"][0]["paragraphs"][0]["qas"][1]["question"]
    data["data"][1]["paragraphs"][0]["qas"][0]["is_impossible"] = "no"
    data["data"][0]["paragraphs"][1]["qas"][0]["answers"] = []
    data["data"][0]["paragraphs"][1]["qas"][0]["is_impossible"] = False
    path.write_text(json.dumps(data, indent=2))
    with pytest.raises(QuestionSetError) as raised:
        squad.load(path)
    text = str(raised.value)
    lines = path.read_text().splitlines()
    line_of_q2 = next(n for n, line in enumerate(lines, start=1) if '"id": "q2"' in line)
    assert f"line {line_of_q2}: data.0.paragraphs.0.qas.1.question: Field required" in text
    assert "data.1.paragraphs.0.qas.0.is_impossible: Input should be a valid boolean" in text
    path.write_text('{"data": [}')
    with pytest.raises(QuestionSetError, match="line 1: json: not valid JSON"):
        squad.load(path)


def test_rag_eval_runs_a_squad_file(tmp_path):
    from ui.cli import app

    out = tmp_path / "out"
    args = ["eval", "--format", "squad2", str(squad_file(tmp_path / "dev.json")),
            "--backend", "extractive", "-q", "--out", str(out)]  # fmt: skip
    result = CliRunner().invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "[n]" in result.output  # the notes printed as text, not read as markup
    report = json.loads((out / "report.json").read_text())
    assert report["benchmark"]["name"] == "SQuAD 2.0"
    assert [row[0] for row in report["benchmark"]["rows"]] == ["all", "HasAns", "NoAns"]
    assert {r["id"] for r in report["questions"]} == {"q1", "q2", "q3", "q4", "q5"}
    by_id = {r["id"]: r for r in report["questions"]}
    assert by_id["q4"]["retrieved"][0]["doc_id"] == "Normans-2.txt"
    assert "200" in by_id["q4"]["answer"] and by_id["q4"]["benchmark"]["F1"] > 0
    html = (out / "report.html").read_text()
    assert "SQuAD 2.0: its own measures" in html and 'id="q-q4"' in html
    bad = tmp_path / "bad.json"
    bad.write_text('{"data": [{"title": "x"}]}')
    result = CliRunner().invoke(app, ["eval", "--format", "squad2", str(bad)])
    assert result.exit_code == 2 and "data.0.paragraphs: Field required" in result.output
