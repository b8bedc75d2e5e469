"""The claim check on the labelled claim-quote set: the operating point holds."""

from pathlib import Path

import pytest
from corpus import SEEDS

from eval.claims import labelled_pairs, score, written_pairs
from rag.citing import SupportRule
from rag.claims import check

WRITTEN = Path(__file__).resolve().parents[2] / "eval" / "questions" / "claims.jsonl"


@pytest.fixture(scope="module")
def pairs():
    return labelled_pairs(SEEDS) + written_pairs(WRITTEN, SEEDS)


def test_the_set_is_large_and_mostly_wrong_claims(pairs):
    wrong = [p for p in pairs if not p.supported]
    assert len(pairs) >= 200 and len(wrong) >= len(pairs) / 2
    assert {p.rule for p in pairs} >= {
        "wrong: country swapped",
        "wrong: number changed",
        "wrong: negated",
        "wrong: moved to a sentence sharing words",
        "right: paraphrased by hand",
    }
    for pair in pairs:  # every quote is a sentence of the corpus, exactly
        assert pair.quote in (SEEDS / pair.doc_id).read_text(encoding="utf-8")


def test_the_pipelines_operating_point_flags_95_percent_and_keeps_95_percent(pairs):
    coverage = SupportRule().min_coverage
    scores = score(
        pairs, lambda p: check(p.claim, p.quote, p.context, min_coverage=coverage).supported
    )
    assert scores.wrong_flagged >= 0.95, scores.table()
    assert scores.right_kept >= 0.95, scores.table()


def test_the_scores_see_a_check_that_accepts_everything(pairs):
    scores = score(pairs, lambda p: True)
    assert scores.wrong_flagged == 0.0 and scores.right_kept == 1.0
