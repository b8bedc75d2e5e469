"""Each metric on hand-built answers: a case where it holds and one where it fails."""

from __future__ import annotations

import math

import pytest

from eval.metrics import (
    aggregate,
    answer_match,
    citation_recall,
    evidence_recall,
    failed_checks,
    hit_at,
    missed_bounds,
    model_use,
    outcomes,
    parse_bounds,
    percentile,
    quote_verified,
    ranked_documents,
    reciprocal_rank,
)
from eval.questions import Question
from rag.types import Answer, AnswerSentence, Citation, Passage

SOURCES = {"a.txt": "Alpha says the railway is 200 km long.\nIt opens in 2030.", "b.txt": "Beta."}


def text_of(doc_id: str) -> str | None:
    return SOURCES.get(doc_id)


def question(sources=("a.txt",), mode="all", answerable=True, **fields) -> Question:
    return Question(
        id="q1",
        question="How long is the railway?",
        answerable=answerable,
        expected_sources=list(sources) if answerable else [],
        sources_mode=mode,
        **fields,
    )


def passage(doc_id: str, n: int, text: str = "") -> Passage:
    return Passage(
        n=n,
        chunk_id=f"{doc_id}#{n}",
        doc_id=doc_id,
        title=doc_id,
        text=text,
        start=0,
        end=len(text),
        score=1.0 / n,
    )


def citation(doc_id: str, quote: str, start: int, end: int, n: int = 1) -> Citation:
    return Citation(n=n, doc_id=doc_id, title=doc_id, quote=quote, start=start, end=end, score=1.0)


def answer(retrieved=(), citations=(), text="", abstained=False, error=None) -> Answer:
    return Answer(
        question="?",
        answer=text,
        retrieved=list(retrieved),
        citations=list(citations),
        abstained=abstained,
        backend="test",
        error=error,
    )


def test_documents_rank_by_their_first_chunk():
    found = answer([passage("b.txt", 1), passage("a.txt", 2), passage("b.txt", 3)])
    assert ranked_documents(found) == ["b.txt", "a.txt"]


def test_hit_at_k():
    found = answer([passage("b.txt", 1), passage("b.txt", 2), passage("a.txt", 3)])
    assert not hit_at(question(), found, 1)
    # the third chunk is the second document: within the top 2 documents
    assert hit_at(question(), found, 2)
    assert not hit_at(question(), answer([passage("b.txt", 1)]), 5)


def test_hit_all_needs_every_source_and_any_needs_one():
    found = answer([passage("a.txt", 1)])
    assert not hit_at(question(["a.txt", "b.txt"], "all"), found, 5)
    assert hit_at(question(["a.txt", "b.txt"], "any"), found, 5)


def test_reciprocal_rank_counts_documents_up_to_ten():
    chunks = [passage("b.txt", 1), passage("b.txt", 2), passage("c.txt", 3), passage("a.txt", 4)]
    assert reciprocal_rank(question(), answer(chunks)) == pytest.approx(1 / 3)  # b, c, then a
    late = [passage(f"{n}.txt", n) for n in range(1, 11)] + [passage("a.txt", 11)]
    assert reciprocal_rank(question(), answer(late)) == 0.0
    assert reciprocal_rank(question(), answer()) == 0.0


def test_evidence_recall_is_whitespace_normalised_and_top_5_only():
    q = question(evidence=["the railway is  200 km\nlong", "It opens in 2030."])
    top = [passage("a.txt", 1, "Alpha says the railway\nis 200 km long.")]
    assert evidence_recall(q, answer(top)) == 0.5
    padding = [passage("b.txt", n, "Beta.") for n in range(1, 6)]
    assert evidence_recall(q, answer([*padding, *top])) == 0.0
    assert evidence_recall(question(), answer(top)) is None  # no evidence listed


def test_quote_verified_against_the_file_exactly():
    good = citation("a.txt", "It opens in 2030.", 39, 56)
    assert SOURCES["a.txt"][39:56] == "It opens in 2030."
    assert quote_verified(good, text_of)
    assert not quote_verified(citation("a.txt", "It opens in 2031.", 39, 56), text_of)
    assert not quote_verified(citation("a.txt", "It opens in 2030.", 38, 55), text_of)
    assert not quote_verified(citation("gone.txt", "x", 0, 1), text_of)
    assert not quote_verified(citation("a.txt", "", -1, -1), text_of)


def test_citation_recall():
    cites_a = answer(citations=[citation("a.txt", "q", 0, 1)])
    assert citation_recall(question(), cites_a)
    assert not citation_recall(question(["a.txt", "b.txt"], "all"), cites_a)
    assert citation_recall(question(["a.txt", "b.txt"], "any"), cites_a)
    assert not citation_recall(question(), answer())


def test_answer_match_any_of_case_insensitive():
    q = question(answer_contains=["200 km", "two hundred"])
    assert answer_match(q, answer(text="It is about 200  KM long [1]."))
    assert not answer_match(q, answer(text="It is 20 km long."))
    assert answer_match(question(), answer(text="anything")) is None


def test_outcomes_and_failed_checks_for_a_good_answer():
    q = question(evidence=["200 km"], answer_contains=["200"])
    good = answer(
        [passage("a.txt", 1, SOURCES["a.txt"])],
        [citation("a.txt", "It opens in 2030.", 39, 56)],
        text="It is 200 km long.",
    )
    result = outcomes(q, good, text_of)
    assert result["hit_at_1"] and result["citation_recall"] and result["answer_match"]
    assert result["citation_precision"] == 1.0 and result["quote_verified"] == 1.0
    assert failed_checks(q, result) == []


def test_failed_checks_name_what_went_wrong():
    q = question(evidence=["200 km"], answer_contains=["200"])
    bad = answer(
        [passage("b.txt", 1, "Beta.")], [citation("b.txt", "not in the file", 0, 5)], text="Beta."
    )
    failed = failed_checks(q, outcomes(q, bad, text_of))
    assert set(failed) == {
        "quote_verified",
        "hit_at_5",
        "citation_recall",
        "answer_match",
        "evidence_recall_at_5",
        "citation_precision",
    }


def test_abstention_both_ways():
    unanswerable = question(answerable=False)
    assert (
        failed_checks(unanswerable, outcomes(unanswerable, answer(abstained=True), text_of)) == []
    )
    assert failed_checks(unanswerable, outcomes(unanswerable, answer(text="200"), text_of)) == [
        "abstention"
    ]
    declined = outcomes(question(), answer(abstained=True), text_of)
    assert "false_abstention" in failed_checks(question(), declined)


def test_an_error_fails_and_is_no_abstention():
    unanswerable = question(answerable=False)
    errored = outcomes(unanswerable, answer(error="backend down"), text_of)
    assert errored["declined"] is False and failed_checks(unanswerable, errored) == ["error"]
    assert outcomes(question(), None, text_of)["declined"] is True  # counts as a false abstention


def test_aggregate():
    qs = [
        question(answer_contains=["200"]),
        question(["b.txt"]),
        question(answerable=False),
        question(answerable=False),
    ]
    answers = [
        answer([passage("a.txt", 1)], [citation("a.txt", "It opens in 2030.", 39, 56)], "200 km"),
        answer([passage("a.txt", 1), passage("b.txt", 2)], [citation("a.txt", "bad", 0, 3, 1)]),
        answer(abstained=True),
        answer(text="made up"),
    ]
    results = [outcomes(q, a, text_of) for q, a in zip(qs, answers, strict=True)]
    metrics = aggregate(results, [100.0, 200.0, 300.0, 400.0])
    assert metrics["hit_at_1"] == 0.5
    assert metrics["hit_at_5"] == 1.0
    assert metrics["mrr"] == 0.75
    assert metrics["citation_precision"] == 0.5
    assert metrics["citation_recall"] == 0.5
    assert metrics["quote_verified"] == 0.5
    assert metrics["answer_match"] == 1.0  # only the question with answer_contains counts
    assert metrics["abstention_accuracy"] == 0.5
    assert metrics["false_abstention"] == 0.0
    assert metrics["evidence_recall_at_5"] is None  # no question listed evidence
    assert metrics["latency_p50_ms"] == 250.0
    assert metrics["latency_p95_ms"] == 385.0
    unanswered = aggregate(results, [None, 200.0, None, 400.0])  # no answer, no latency
    assert unanswered["latency_p50_ms"] == 300.0
    assert metrics["recall_at_5"] == 1.0
    assert metrics["ndcg_at_5"] == pytest.approx((1 + 1 / math.log2(3)) / 2, abs=1e-4)
    # answered: q1 right (200), q2 wrong (no answer_contains, but cited a.txt not b.txt), q4
    # an unanswerable question answered; q3 declined and does not count
    assert metrics["abstention_precision"] == pytest.approx(1 / 3, abs=1e-4)
    assert metrics["faithfulness"] is None  # no answer sentences at all


def test_recall_and_ndcg_reward_the_expected_sources_ranked_first():
    both = question(["a.txt", "b.txt"])
    first = answer([passage("a.txt", 1), passage("b.txt", 2), passage("c.txt", 3)])
    late = answer([passage("c.txt", 1), passage("d.txt", 2), passage("b.txt", 3)])
    assert outcomes(both, first, text_of)["ndcg_at_5"] == 1.0
    assert outcomes(both, first, text_of)["recall_at_5"] == 1.0
    assert outcomes(both, late, text_of)["recall_at_5"] == 0.5
    ideal = 1 + 1 / math.log2(3)
    assert outcomes(both, late, text_of)["ndcg_at_5"] == pytest.approx((1 / 2) / ideal)
    assert outcomes(both, answer(), text_of)["ndcg_at_5"] == 0.0


def test_faithfulness_counts_sentences_on_verified_quotes_and_unsupported_ones_shown_so():
    good = citation("a.txt", "It opens in 2030.", 39, 56, n=1)
    forged = citation("a.txt", "bad", 0, 3, n=2)
    shown = answer(citations=[good, forged], text="x").model_copy(
        update={
            "sentences": [
                AnswerSentence(text="It opens in 2030.", citations=[1]),
                AnswerSentence(text="It is made of gold.", citations=[2]),  # quote not verified
                AnswerSentence(text="It is long.", supported=False),
            ]
        }
    )
    outcome = outcomes(question(), shown, text_of)
    assert (outcome["sentences"], outcome["sentences_faithful"]) == (3, 1)
    assert (outcome["sentences_unsupported"], outcome["unsupported_marked"]) == (1, 1)
    metrics = aggregate([outcome], [1.0])
    assert metrics["faithfulness"] == pytest.approx(1 / 3, abs=1e-4)
    assert metrics["unsupported_marked"] == 1.0
    hidden = shown.model_copy(update={"sentences": [AnswerSentence(text="It is long.")]})
    assert aggregate([outcomes(question(), hidden, text_of)], [1.0])["unsupported_marked"] == 0.0


def test_percentile_matches_linear_interpolation():
    assert percentile([], 50) is None
    assert percentile([7.0], 95) == 7.0
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 50) == 3.0
    assert percentile([10.0, 20.0], 95) == pytest.approx(19.5)


def test_bounds():
    assert parse_bounds(["hit_at_5=0.9", "mrr=0.5"]) == {"hit_at_5": 0.9, "mrr": 0.5}
    for bad in ["hit_at_5", "nope=0.3", "hit_at_5=high", "latency_p50_ms=100"]:
        with pytest.raises(ValueError, match="--fail-under"):
            parse_bounds([bad])
    missed = missed_bounds(
        {"hit_at_5": 0.8, "mrr": 0.9, "answer_match": None},
        {
            "hit_at_5": 0.85,
            "mrr": 0.9,
            "answer_match": 0.1,
        },
    )
    assert missed == ["hit_at_5 = 0.8 is under 0.85", "answer_match was not measured (bound 0.1)"]


def test_ceilings_are_for_lower_is_better_metrics():
    assert parse_bounds(["false_abstention=0.05"], ceiling=True) == {"false_abstention": 0.05}
    for bad in ["hit_at_5=0.9", "false_abstention=lots"]:
        with pytest.raises(ValueError, match="--fail-over"):
            parse_bounds([bad], ceiling=True)
    with pytest.raises(ValueError, match="--fail-under"):
        parse_bounds(["false_abstention=0.05"])  # a floor on a lower-is-better metric
    ceilings = {"false_abstention": 0.05, "error_rate": 0}
    missed = missed_bounds({"false_abstention": 0.1, "error_rate": 0.0}, {}, ceilings)
    assert missed == ["false_abstention = 0.1 is over 0.05"]


def test_answer_f1_and_length_reward_a_short_exact_answer():
    q = question(answer_contains=["200 km", "200 kilometres"])
    short = outcomes(q, answer(text="200 km [1]."), text_of)
    copied = outcomes(q, answer(text="Alpha says the railway is 200 km long [1]."), text_of)
    declined = outcomes(q, answer(text="The documents don't say.", abstained=True), text_of)
    assert short["answer_match"] and copied["answer_match"]  # the same to answer match ...
    assert short["answer_f1"] == 1.0
    # ... not to F1: "alpha says railway is 200 km long" (7 tokens) holds both gold tokens
    assert copied["answer_f1"] == pytest.approx(2 * (2 / 7) * 1 / (2 / 7 + 1))
    assert declined["answer_f1"] == 0.0 and declined["answer_words"] is None
    assert (short["answer_words"], copied["answer_words"]) == (2, 8)  # [1] is no word
    assert outcomes(question(), answer(text="x"), text_of)["answer_f1"] is None
    unanswerable = outcomes(question(answerable=False), answer(text="A guess."), text_of)
    metrics = aggregate([short, copied, declined, unanswerable], [1.0] * 4)
    assert metrics["answer_f1"] == pytest.approx((1 + 4 / 9) / 3, abs=1e-4)
    assert metrics["answer_words"] == pytest.approx((2 + 8 + 2) / 3, abs=1e-4)


def test_a_retrieval_only_run_measures_retrieval_alone():
    found = answer([passage("b.txt", 1), passage("a.txt", 2)])
    result = outcomes(question(answer_contains=["200"]), found, text_of, retrieval_only=True)
    assert failed_checks(question(), result) == []  # no answer was asked for: none is missing
    metrics = aggregate([result], [5.0])
    assert metrics["hit_at_5"] == 1.0 and metrics["mrr"] == 0.5
    assert metrics["answer_match"] is None and metrics["false_abstention"] is None
    missed = outcomes(question(), answer([passage("c.txt", 1)]), text_of, retrieval_only=True)
    assert failed_checks(question(), missed) == ["hit_at_5"]


def test_the_model_behind_a_first_reading_is_counted_asked_and_kept():
    def used(backend: str, refined_by: str | None = None, generated: bool = False) -> Answer:
        timings = {"generate": 1.0} if generated else {}
        made = answer(text="x").model_copy(update={"backend": backend, "timings_ms": timings})
        return made.model_copy(update={"refined_by": refined_by})

    answers = [
        used("llamacpp", refined_by="llamacpp", generated=True),  # asked, kept
        used("llamacpp+extractive", generated=True),  # asked, its answer failed the checks
        used("llamacpp+extractive"),  # a complete short answer: not asked
        used("llamacpp+extractive"),
    ]
    assert [model_use(a) for a in answers] == ["kept", "asked", "skipped", "skipped"]
    results = [outcomes(question(), a, text_of) for a in answers]
    metrics = aggregate(results, [1.0] * 4)
    assert metrics["model_asked"] == 0.5
    assert metrics["model_kept"] == 0.5
    alone = aggregate([outcomes(question(), answer(text="x"), text_of)], [1.0])
    assert model_use(answer(text="x")) is None
    assert alone["model_asked"] is None and alone["model_kept"] is None  # no model behind
