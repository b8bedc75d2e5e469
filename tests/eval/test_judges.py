"""eval/judges.py: question-sentence pairs labelled from a question set, and the measures."""

from __future__ import annotations

from eval.judges import Pair, calibrated, constraints, labelled_pairs, measure
from eval.questions import Question
from rag import judge
from rag.analysis import analyse
from rag.retrieval import Retrieval
from rag.types import Passage

TEXT = (
    "The lighthouse was built in 1854. Its light can be seen for 20 miles. "
    "The keeper's cottage now holds a museum."
)


def _retrieve(_text: str) -> Retrieval:
    passage = Passage(
        n=1, chunk_id="l#0", doc_id="light.txt", title="Lighthouse", text=TEXT, start=0,
        end=len(TEXT), score=1.0,
    )  # fmt: skip
    return Retrieval([passage], best_dense=0.9, best_sparse=1.0)


def test_pairs_are_labelled_by_evidence_and_unanswerable_questions_label_all_negative():
    answerable = Question(
        id="q1", question="When was the lighthouse built?", answerable=True,
        expected_sources=["light.txt"], evidence=["built in 1854"], answer_contains=["1854"],
    )  # fmt: skip
    unanswerable = Question(id="q2", question="Who designed the lighthouse?", answerable=False)
    pairs = labelled_pairs([answerable, unanswerable], _retrieve)
    labels = {(p.question_id, p.sentence.text): p.answers for p in pairs}
    assert labels[("q1", "The lighthouse was built in 1854.")] is True
    assert labels[("q1", "Its light can be seen for 20 miles.")] is False
    assert not any(answers for (qid, _), answers in labels.items() if qid == "q2")
    assert len([q for q, _ in labels if q == "q2"]) == 3


def test_measures_are_precision_and_recall_of_answers():
    question = analyse("When was the lighthouse built?")
    pairs = [
        Pair("q", question, judge.Sentence("It was built in 1854."), 0.9, True),
        Pair("q", question, judge.Sentence("It was painted white."), 0.8, False),
        Pair("q", question, judge.Sentence("It was built of granite."), 0.4, False),
    ]
    said = measure("constraints", pairs, constraints)
    assert (said.precision, said.recall) == (1.0, 1.0)  # only the sentence with a year passes
    everything = measure("all", pairs, lambda pair: True)
    assert round(everything.precision, 3) == 0.333 and everything.recall == 1.0
    best = calibrated("relevance", pairs, lambda pair: pair.relevance)
    assert best.threshold == 0.9 and best.f1 == 1.0
