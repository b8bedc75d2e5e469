"""The runner records every question (errors too); the reports are written and self-contained."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from eval import report as reports
from eval.questions import Question
from eval.runner import run
from rag.types import Answer, Citation, Passage, QuestionError

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
SOURCE = "000_9e243a5a117bdeca.txt"
TEXT = (SEEDS / SOURCE).read_bytes().decode("utf-8")
SENTENCE = "Reports say that this railway will be approximately 200 kilometers long."
START = TEXT.index(SENTENCE)

QUESTIONS = [
    Question(
        id="good",
        question="How long is the railway?",
        answerable=True,
        expected_sources=[SOURCE],
        answer_contains=["200"],
        kind="number",
    ),
    Question(id="rejected", question="x" * 50, answerable=True, expected_sources=[SOURCE]),
    Question(id="crash", question="Who <b>crashes</b>?", answerable=False),
    Question(id="declined", question="What is unknown?", answerable=False),
]


class Scripted:
    """A stand-in pipeline: a right answer, a rejection, an exception and a decline."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, int | None]] = []

    def ask(self, question: str, *, top_k: int | None = None) -> Answer:
        self.asked.append((question, top_k))
        if question.startswith("xxx"):
            raise QuestionError("the question is too long")
        if "crash" in question:
            raise RuntimeError("boom")
        passage = Passage(
            n=1,
            chunk_id=f"{SOURCE}#0",
            doc_id=SOURCE,
            title="t",
            text=SENTENCE,
            start=START,
            end=START + len(SENTENCE),
            score=0.5,
        )
        if question.startswith("What is unknown"):
            return Answer(
                question=question,
                answer="The documents don't say.",
                abstained=True,
                retrieved=[passage],
                backend="scripted",
            )
        cite = Citation(
            n=1,
            doc_id=SOURCE,
            title="t",
            quote=SENTENCE,
            start=START,
            end=START + len(SENTENCE),
            score=1.0,
        )
        return Answer(
            question=question,
            answer=f"{SENTENCE} [1]",
            citations=[cite],
            retrieved=[passage],
            backend="scripted",
            timings_ms={"total": 1.0},
        )


def evaluate(tmp_path: Path, previous: dict | None = None) -> tuple[dict, dict[str, Path]]:
    pipeline = Scripted()
    metrics, records = run(QUESTIONS, pipeline, SEEDS, top_k=7, progress=False)
    assert pipeline.asked[0] == (QUESTIONS[0].question, 7)  # the warm-up, untimed
    assert len(pipeline.asked) == len(QUESTIONS) + 1
    config = {"pipeline": "scripted", "backend": "scripted", "questions": "set.jsonl", "top_k": 7}
    report = reports.build(metrics, records, config, previous, "old/report.json")
    return report, reports.write(report, tmp_path / "out")


def test_every_question_is_recorded_and_errors_do_not_stop_the_run(tmp_path):
    report, _ = evaluate(tmp_path)
    by_id = {r["id"]: r for r in report["questions"]}
    assert set(by_id) == {"good", "rejected", "crash", "declined"}
    assert by_id["rejected"]["error"] == "rejected: the question is too long"
    assert by_id["crash"]["error"] == "RuntimeError: boom"
    assert by_id["crash"]["failed"] == ["error"] and by_id["crash"]["latency_ms"] is None
    assert by_id["good"]["failed"] == [] and by_id["declined"]["failed"] == []
    assert by_id["good"]["citations"][0]["verified"] is True
    assert by_id["good"]["retrieved"][0]["rank"] == 1
    metrics = report["metrics"]
    assert metrics["hit_at_5"] == 0.5  # the rejected question retrieved nothing
    assert metrics["false_abstention"] == 0.5  # ... and counts as declining
    assert metrics["abstention_accuracy"] == 0.5  # the crash is no decline
    assert metrics["quote_verified"] == 1.0
    assert metrics["error_rate"] == 0.5


def test_report_files(tmp_path):
    _, paths = evaluate(tmp_path)
    data = json.loads(paths["json"].read_text())
    assert set(data) == {"metrics", "questions", "config"}
    assert data["config"]["top_k"] == 7
    # failures first
    assert [r["id"] for r in data["questions"]][:2] == ["rejected", "crash"]
    assert not data["questions"][-1]["failed"]
    md = paths["md"].read_text()
    assert "| hit_at_5 | 0.500 |" in md
    assert md.index("| rejected | FAIL") < md.index("| good | pass")


def test_html_is_self_contained_and_escaped(tmp_path):
    _, paths = evaluate(tmp_path)
    page = paths["html"].read_text()
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page, re.IGNORECASE)
    assert "<script" not in page and "<link" not in page and "@import" not in page
    assert page.count("<svg") == 1  # the metric bars
    assert "Who &lt;b&gt;crashes&lt;/b&gt;?" in page
    assert "<b>crashes</b>" not in page
    assert page.index(">rejected<") < page.index(">good<")


def test_compare_reports_deltas(tmp_path):
    old = {"metrics": {"hit_at_5": 0.75, "latency_p50_ms": 10.0}, "config": {}}
    report, paths = evaluate(tmp_path, old)
    deltas = report["comparison"]["deltas"]
    assert deltas["hit_at_5"]["delta"] == -0.25 and deltas["hit_at_5"]["better"] is False
    assert deltas["mrr"]["delta"] is None  # not in the old report
    page = paths["html"].read_text()
    assert page.count("<svg") == 2  # metric bars and the deltas
    assert "-0.250" in page and "old/report.json" in page
    assert "| hit_at_5 | 0.500 | 0.750 | -0.250 |" in paths["md"].read_text()


def test_load_refuses_what_is_not_a_report(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text('{"questions": []}')
    for path in (bad, tmp_path / "missing.json"):
        with pytest.raises(reports.ReportError, match=re.escape(str(path))):
            reports.load(path)
