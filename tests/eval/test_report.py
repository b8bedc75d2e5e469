"""The runner records every question (errors too); the reports are written and self-contained."""

from __future__ import annotations

import base64
import json
import re
import sys
from html.parser import HTMLParser
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
HOSTILE = '<script>window.pwned=1</script><img src=x onerror="window.pwned=1">'

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

    def ask(self, question: str, history=(), *, top_k: int | None = None) -> Answer:
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
    assert set(data) == {"metrics", "intervals", "by_kind", "questions", "config"}
    low, high = data["intervals"]["hit_at_5"]
    assert low <= data["metrics"]["hit_at_5"] <= high
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
    assert _chart(page).startswith(b"\x89PNG\r\n\x1a\n")  # the metric bars
    assert "hit_at_5 0.500" in _alt(page)
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
    assert _chart(page).startswith(b"\x89PNG\r\n\x1a\n")  # metric bars and the deltas
    assert "Change against the compared report: hit_at_5 -0.250" in _alt(page)
    assert "-0.250" in page and "old/report.json" in page
    row = next(r for r in paths["md"].read_text().splitlines() if r.startswith("| hit_at_5 |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert (cells[1], cells[3], cells[4]) == ("0.500", "0.750", "-0.250")


class _Tags(HTMLParser):
    """The elements of a page as a browser would parse them: (tag, attributes)."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _img(page: str) -> dict:
    (img,) = [attrs for tag, attrs in _Tags(page).tags if tag == "img"]
    return img


def _chart(page: str) -> bytes:
    prefix = "data:image/png;base64,"
    src = _img(page)["src"]
    assert src.startswith(prefix)
    return base64.b64decode(src.removeprefix(prefix), validate=True)


def _alt(page: str) -> str:
    return _img(page)["alt"]


def _hostile_report() -> dict:
    """A report with markup in every text a question set, a model or a document can carry."""
    record = {
        "id": HOSTILE,
        "question": HOSTILE,
        "kind": HOSTILE,
        "sources_mode": HOSTILE,
        "expected_sources": [HOSTILE, HOSTILE],
        "error": None,
        "answer": HOSTILE,
        "abstained": True,
        "failed": [HOSTILE],
        "retrieved": [{"rank": 1, "doc_id": HOSTILE}],
        "citations": [{"doc_id": HOSTILE, "verified": False, "quote": HOSTILE}],
        "latency_ms": 12.0,
        "outcomes": {
            "answerable": False,
            "error": False,
            "declined": True,
            "answered_right": None,
            "citations": 1,
            "citations_verified": 0,
            "quote_verified": 0.0,
            "sentences": 0,
            "sentences_faithful": 0,
            "sentences_unsupported": 0,
            "unsupported_marked": 0,
        },
    }
    config = {"pipeline": HOSTILE, "backend": HOSTILE, "questions": HOSTILE, "started": HOSTILE}
    metrics = {"hit_at_5": 0.5}
    return reports.build(
        metrics,
        [record, {**record, "error": HOSTILE}],
        config,
        {"metrics": metrics, "config": {}},
        HOSTILE,
    )


def test_html_escapes_every_text_from_questions_answers_and_documents():
    page = reports.html(_hostile_report())
    tags = _Tags(page).tags
    assert "<script" not in page
    assert [tag for tag, _ in tags].count("img") == 1  # the chart, no other
    assert not [name for _, attrs in tags for name in attrs if name.startswith("on")]
    assert page.count("&lt;script&gt;window.pwned=1&lt;/script&gt;") >= 20


def test_html_without_matplotlib_has_a_note_instead_of_the_chart(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib...` fail
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    page = reports.html(_hostile_report())
    assert "<img" not in page and "No chart: drawing it needs matplotlib" in page
    assert page.rstrip().endswith("</html>")


def test_load_refuses_what_is_not_a_report(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text('{"questions": []}')
    for path in (bad, tmp_path / "missing.json"):
        with pytest.raises(reports.ReportError, match=re.escape(str(path))):
            reports.load(path)
