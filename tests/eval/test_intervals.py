"""Bootstrap intervals, paired comparisons and the per-kind table, on hand-made records."""

from __future__ import annotations

import pytest

from eval.intervals import by_kind, changed, comparable, intervals, paired
from eval.metrics import failed_checks, outcomes
from eval.questions import Question
from eval.report import build, markdown
from rag.types import Answer, Citation, Passage

SOURCE = "The railway will be 200 km long."


def record(id_: str, right: bool, kind: str = "number", latency: float = 10.0) -> dict:
    """A record as `rag eval` writes it: answered right (cites the source, says 200) or not."""
    question = Question(
        id=id_, question="How long?", answerable=True, expected_sources=["a.txt"],
        answer_contains=["200"], kind=kind,
    )  # fmt: skip
    passage = Passage(n=1, chunk_id="c", doc_id="a.txt", title="a", text=SOURCE, start=0,
                      end=len(SOURCE), score=1.0)  # fmt: skip
    cited = Citation(n=1, doc_id="a.txt", title="a", quote=SOURCE, start=0, end=len(SOURCE),
                     score=1.0)  # fmt: skip
    answer = Answer(
        question="How long?", answer=SOURCE if right else "It is long.", backend="test",
        retrieved=[passage], citations=[cited] if right else [],
    )  # fmt: skip
    outcome = outcomes(question, answer, lambda _: SOURCE)
    return {
        "id": id_, "kind": kind, "question": question.question, "answer": answer.answer,
        "error": None, "abstained": False, "outcomes": outcome, "latency_ms": latency,
        "failed": failed_checks(question, outcome),
    }  # fmt: skip


def run(rights: list[bool]) -> list[dict]:
    return [record(f"q{i}", right) for i, right in enumerate(rights)]


def test_an_interval_holds_the_figure_and_narrows_to_it_when_every_question_agrees():
    mixed = intervals(run([True, False] * 10), resamples=300)
    low, high = mixed["answer_match"]
    assert low < 0.5 < high and high - low > 0.2
    assert intervals(run([True] * 20), resamples=300)["answer_match"] == [1.0, 1.0]
    assert intervals(run([True] * 5), resamples=50)["abstention_accuracy"] is None  # unmeasured


def test_a_paired_change_is_real_only_when_its_interval_excludes_zero():
    old = run([False] * 10 + [True] * 10)
    assert paired(run([True] * 20), old, resamples=300)["answer_match"]["real"] is True
    same = paired(old, old, resamples=300)["answer_match"]
    assert same["delta"] == 0 and same["real"] is False
    one_more = run([True] + [False] * 9 + [True] * 10)  # one question of 20 fixed: noise
    noisy = paired(one_more, old, resamples=300)["answer_match"]
    assert noisy["delta"] == pytest.approx(0.05) and noisy["real"] is False


def test_questions_that_changed_outcome():
    old, new = run([True, False, True]), run([False, True, True])
    assert changed(new, old) == {"fixed": ["q1"], "broken": ["q0"]}


def test_metrics_by_kind():
    records = [record("a", True, "number"), record("b", False, "who"), record("c", True, "who")]
    kinds = by_kind(records)
    assert list(kinds) == ["number", "who"]
    assert (kinds["who"]["questions"], kinds["who"]["answer_match"]) == (2, 0.5)


def test_the_report_compares_pairs_and_lists_changed_questions_first():
    old, new = run([True, False, True]), run([False, True, True])
    config = {"pipeline": "ours", "backend": "test"}
    previous = build({"answer_match": 2 / 3}, old, config)
    report = build({"answer_match": 2 / 3}, new, config, previous, "old.json")
    assert [r["id"] for r in report["questions"]][:2] == ["q0", "q1"]  # broken, then fixed
    assert report["comparison"]["paired"]["answer_match"]["delta"] == 0
    assert "95% interval" in markdown(report) and "Fixed: q1; broken: q0." in markdown(report)
    older = [dict(r, outcomes={"error": False}) for r in old]  # a report from before intervals
    assert not comparable(older)
    assert "paired" not in build({}, new, config, {"metrics": {}, "config": {},
                                                  "questions": older})["comparison"]  # fmt: skip
