"""SQuAD's answer normalisation, exact match and token F1, on cases worked out by hand."""

from __future__ import annotations

import pytest

from eval.answers import answer_text, best, exact_match, gold_answers, normalize_answer, token_f1


def test_normalisation_is_squads():
    assert normalize_answer("The  Norman, conquest!") == "norman conquest"
    assert normalize_answer("an apple a day") == "apple day"
    assert normalize_answer("Theatre (1066)") == "theatre 1066"  # 'the' only as a word
    assert normalize_answer("...") == ""


def test_exact_match_and_f1():
    assert exact_match("the 10th century.", "10th Century") == 1.0
    assert exact_match("in the 10th century", "10th century") == 0.0
    # "it is in france" against "france": precision 1/4, recall 1 -> 2 * 0.25 / 1.25
    assert token_f1("It is in France.", "France") == pytest.approx(0.4)
    # shared tokens counted with multiplicity: "a b b" vs "b b c" -> 2 shared of 3 and 3
    assert token_f1("x y y", "y y z") == pytest.approx(2 / 3)
    assert token_f1("Rollo", "Charles") == 0.0
    assert token_f1("", "") == 1.0 and token_f1("Rollo", "") == 0.0 and token_f1("", "x") == 0.0


def test_best_gold_and_the_empty_answer():
    golds = gold_answers(["10th century", "the first half of the 10th century", " "])
    assert golds == ["10th century", "the first half of the 10th century"]
    assert best(exact_match, "10th century", golds) == 1.0
    assert gold_answers([]) == [""] and gold_answers(["the"]) == [""]  # nothing left: unanswerable
    assert answer_text("It is 200 km long [1].", declined=False) == "It is 200 km long."
    assert answer_text("The documents don't say.", declined=True) == ""
