"""The metric definitions: per question outcomes, then the set's metrics.

Ranks are of documents: the retrieved passages in the order the pipeline returned them (after
neighbour merging), each document counted once, where its first passage is (as trec_eval
ranks a run file of documents). Ranking metrics are computed on
exactly what the pipeline retrieved for its answer, so `--top-k` bounds them: MRR counts ranks
up to 10, and a source the pipeline did not retrieve counts as not found.

A question that could not be answered (rejected, or the pipeline or backend failed) has no
answer and no citations: it counts as a false abstention when answerable and as not declined
when unanswerable; its retrieval is scored on whatever was retrieved (nothing, if rejected).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from eval.answers import answer_text, best, gold_answers, token_f1, words
from eval.questions import Question, normalise
from eval.stats import percentile
from rag.types import Answer, Citation

MRR_DEPTH = 10
EVIDENCE_DEPTH = 5

#: The keys of `metrics`, in report order. Latencies are in ms; every other value is in [0, 1].
METRICS = (
    "hit_at_1",
    "hit_at_5",
    "mrr",
    "recall_at_5",
    "ndcg_at_5",
    "evidence_recall_at_5",
    "citation_precision",
    "citation_recall",
    "quote_verified",
    "faithfulness",
    "unsupported_marked",
    "answer_match",
    "answer_f1",
    "answer_words",
    "model_asked",
    "model_kept",
    "abstention_accuracy",
    "abstention_precision",
    "false_abstention",
    "error_rate",
    "latency_p50_ms",
    "latency_p95_ms",
)
#: Metrics where a smaller number is better (a --fail-under bound makes no sense for them).
LOWER_IS_BETTER = frozenset(
    {"answer_words", "false_abstention", "error_rate", "latency_p50_ms", "latency_p95_ms"}
)
#: Metrics in other units than [0, 1]: milliseconds, words.
UNBOUNDED = frozenset(m for m in METRICS if m.endswith(("_ms", "_words")))
#: The others, each in [0, 1] (what the charts draw).
UNIT_METRICS = [m for m in METRICS if m not in UNBOUNDED]
#: What a retrieval-only run (no answer asked for, as BEIR's) measures; the rest is None.
RETRIEVAL_METRICS = frozenset(
    {"hit_at_1", "hit_at_5", "mrr", "recall_at_5", "ndcg_at_5", "error_rate"}
    | {"latency_p50_ms", "latency_p95_ms"}
)

SourceText = Callable[[str], str | None]


def ranked_documents(answer: Answer) -> list[str]:
    """Distinct doc ids in the order of their first retrieved passage."""
    return list(dict.fromkeys(p.doc_id for p in answer.retrieved))


def covers(found: Sequence[str], question: Question) -> bool:
    """Whether `found` holds the expected sources: every one ("all") or at least one ("any")."""
    hits = [source in found for source in question.expected_sources]
    return bool(hits) and (all(hits) if question.sources_mode == "all" else any(hits))


def hit_at(question: Question, answer: Answer, k: int) -> bool:
    return covers(ranked_documents(answer)[:k], question)


def reciprocal_rank(question: Question, answer: Answer, depth: int = MRR_DEPTH) -> float:
    for rank, doc_id in enumerate(ranked_documents(answer)[:depth], start=1):
        if doc_id in question.expected_sources:
            return 1 / rank
    return 0.0


def recall_at(question: Question, answer: Answer, k: int) -> float:
    """Share of the expected sources among the top k retrieved documents."""
    found = ranked_documents(answer)[:k]
    return sum(s in found for s in question.expected_sources) / len(question.expected_sources)


def ndcg_at(question: Question, answer: Answer, k: int) -> float:
    """Normalised discounted cumulative gain of the top k documents (an expected source is
    relevant, 1; anything else 0)."""
    found = ranked_documents(answer)[:k]
    dcg = sum(
        1 / math.log2(rank + 1) for rank, d in enumerate(found, 1) if d in question.expected_sources
    )
    ideal = sum(
        1 / math.log2(rank + 1) for rank in range(1, min(k, len(question.expected_sources)) + 1)
    )
    return dcg / ideal


def evidence_recall(question: Question, answer: Answer, k: int = EVIDENCE_DEPTH) -> float | None:
    """Share of the evidence strings found (whitespace-normalised) in the top k passages."""
    if not question.evidence:
        return None
    chunks = [normalise(p.text) for p in answer.retrieved[:k]]
    found = sum(any(normalise(e) in chunk for chunk in chunks) for e in question.evidence)
    return found / len(question.evidence)


def quote_verified(citation: Citation, source_text: SourceText) -> bool:
    """The quote is exactly the file's text at [start:end] (no normalisation at all)."""
    text = source_text(citation.doc_id)
    return (
        text is not None
        and 0 <= citation.start < citation.end <= len(text)
        and text[citation.start : citation.end] == citation.quote
    )


def citation_recall(question: Question, answer: Answer) -> bool:
    return covers([c.doc_id for c in answer.citations], question)


def answer_match(question: Question, answer: Answer) -> bool | None:
    """Any of `answer_contains`, case-insensitive and whitespace-normalised; None if none given."""
    if not question.answer_contains:
        return None
    text = normalise(answer.answer).casefold()
    return any(normalise(option).casefold() in text for option in question.answer_contains)


def answer_f1(question: Question, answer: Answer, declined: bool) -> float | None:
    """SQuAD's token F1 against the best of `answer_contains` (a decline is the empty answer);
    None if none given."""
    if not question.answer_contains:
        return None
    return best(
        token_f1, answer_text(answer.answer, declined), gold_answers(question.answer_contains)
    )


def model_use(answer: Answer) -> str | None:
    """How a model answering after a first checked reading was used: "kept" (its answer
    replaced the reading), "asked" (its answer failed the checks), "skipped" (the reading was
    complete, or declined); None for a backend with no such reading."""
    if answer.refined_by is not None:
        return "kept"
    if "+" not in answer.backend:
        return None
    return "asked" if "generate" in answer.timings_ms else "skipped"


def outcomes(
    question: Question, answer: Answer | None, source_text: SourceText, retrieval_only: bool = False
) -> dict:
    """Per question checks. None means the check does not apply to this question. A
    `retrieval_only` run asked for no answer: only retrieval is measured (RETRIEVAL_METRICS)."""
    answer = answer or Answer(question=question.question, answer="", backend="", error="not run")
    failed = answer.error is not None
    verified = {c.n: quote_verified(c, source_text) for c in answer.citations}
    sentences = [] if answer.abstained or failed else answer.sentences
    result: dict = {
        "answerable": question.answerable,
        "error": failed,
        "citations": len(answer.citations),
        "citations_verified": sum(verified.values()),
        "quote_verified": sum(verified.values()) / len(verified) if verified else None,
        # faithfulness: answer sentences resting on a verified quote; and the others shown so
        "sentences": len(sentences),
        "sentences_faithful": sum(
            s.supported and bool(s.citations) and all(verified.get(n) for n in s.citations)
            for s in sentences
        ),
        "sentences_unsupported": sum(not s.citations for s in sentences),
        "unsupported_marked": sum(not s.citations and not s.supported for s in sentences),
        "answer_words": None
        if answer.abstained or failed
        else words(answer_text(answer.answer, False)),
        "retrieval_only": retrieval_only,
        "model": model_use(answer),
    }
    if not question.answerable:
        declined = answer.abstained and not failed
        return result | {"declined": declined, "answered_right": None if declined else False}
    expected = sum(c.doc_id in question.expected_sources for c in answer.citations)
    match = answer_match(question, answer)
    declined = answer.abstained or failed
    return result | {
        "hit_at_1": hit_at(question, answer, 1),
        "hit_at_5": hit_at(question, answer, 5),
        "reciprocal_rank": reciprocal_rank(question, answer),
        "recall_at_5": recall_at(question, answer, 5),
        "ndcg_at_5": ndcg_at(question, answer, 5),
        "evidence_recall_at_5": evidence_recall(question, answer),
        "citations_expected": expected,
        "citation_precision": expected / len(answer.citations) if answer.citations else None,
        "citation_recall": citation_recall(question, answer),
        "answer_match": match,
        "answer_f1": answer_f1(question, answer, declined),
        "declined": declined,
        # right: the expected answer, or (with none given) the expected sources cited
        "answered_right": None if declined else bool(match if match is not None else expected),
    }


def failed_checks(question: Question, outcome: dict) -> list[str]:
    """The checks this question failed (hit_at_1 and rank are quality, not pass/fail)."""
    if outcome["error"]:
        return ["error"]
    if outcome.get("retrieval_only"):
        return [] if outcome.get("hit_at_5", True) else ["hit_at_5"]
    failed = []
    if outcome["quote_verified"] is not None and outcome["quote_verified"] < 1:
        failed.append("quote_verified")
    if not question.answerable:
        return failed + ([] if outcome["declined"] else ["abstention"])
    if outcome["declined"]:
        failed.append("false_abstention")
    for name in ("hit_at_5", "citation_recall", "answer_match"):
        if outcome[name] is False:
            failed.append(name)
    for name in ("evidence_recall_at_5", "citation_precision"):
        if outcome[name] is not None and outcome[name] < 1:
            failed.append(name)
    return failed


def aggregate(
    results: Sequence[dict], latencies_ms: Sequence[float | None]
) -> dict[str, float | None]:
    """The set's metrics from per question outcomes; None where nothing was measured."""
    answerable = [r for r in results if r["answerable"]]
    unanswerable = [r for r in results if not r["answerable"]]
    latencies = [ms for ms in latencies_ms if ms is not None]
    metrics = {
        "hit_at_1": _mean(r["hit_at_1"] for r in answerable),
        "hit_at_5": _mean(r["hit_at_5"] for r in answerable),
        "mrr": _mean(r["reciprocal_rank"] for r in answerable),
        "recall_at_5": _mean(r["recall_at_5"] for r in answerable),
        "ndcg_at_5": _mean(r["ndcg_at_5"] for r in answerable),
        "evidence_recall_at_5": _mean(
            r["evidence_recall_at_5"] for r in answerable if r["evidence_recall_at_5"] is not None
        ),
        "citation_precision": _ratio(
            sum(r["citations_expected"] for r in answerable),
            sum(r["citations"] for r in answerable),
        ),
        "citation_recall": _mean(r["citation_recall"] for r in answerable),
        "quote_verified": _ratio(
            sum(r["citations_verified"] for r in results), sum(r["citations"] for r in results)
        ),
        "faithfulness": _ratio(
            sum(r["sentences_faithful"] for r in results), sum(r["sentences"] for r in results)
        ),
        "unsupported_marked": _ratio(
            sum(r["unsupported_marked"] for r in results),
            sum(r["sentences_unsupported"] for r in results),
        ),
        "answer_match": _mean(
            r["answer_match"] for r in answerable if r["answer_match"] is not None
        ),
        "answer_f1": _mean(r["answer_f1"] for r in answerable if r.get("answer_f1") is not None),
        "answer_words": _mean(
            r["answer_words"] for r in results if r.get("answer_words") is not None
        ),
        "model_asked": _mean(r["model"] != "skipped" for r in results if r.get("model")),
        "model_kept": _mean(
            r["model"] == "kept" for r in answerable if r.get("model") in {"kept", "asked"}
        ),
        "abstention_accuracy": _mean(r["declined"] for r in unanswerable),
        "abstention_precision": _mean(
            r["answered_right"] for r in results if r["answered_right"] is not None
        ),
        "false_abstention": _mean(r["declined"] for r in answerable),
        "error_rate": _mean(r["error"] for r in results),
        "latency_p50_ms": _round(percentile(latencies, 50)),
        "latency_p95_ms": _round(percentile(latencies, 95)),
    }
    if results and all(r.get("retrieval_only") for r in results):
        return {
            name: value if name in RETRIEVAL_METRICS else None for name, value in metrics.items()
        }
    return metrics


def _mean(values) -> float | None:
    values = [float(v) for v in values]
    return round(sum(values) / len(values), 4) if values else None


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def parse_bounds(items: Sequence[str], ceiling: bool = False) -> dict[str, float]:
    """`["hit_at_5=0.9", ...]` into {metric: bound}; ValueError naming the bad item. Floors
    (`--fail-under`) are for higher-is-better metrics, ceilings (`--fail-over`) for the rest."""
    option = "--fail-over" if ceiling else "--fail-under"
    allowed = [m for m in METRICS if (m in LOWER_IS_BETTER) == ceiling]
    bounds = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or name not in allowed:
            raise ValueError(
                f"{option} {item!r}: expected METRIC=VALUE with METRIC one of {', '.join(allowed)}"
            )
        try:
            bounds[name] = float(value)
        except ValueError:
            raise ValueError(f"{option} {item!r}: {value!r} is not a number") from None
    return bounds


def missed_bounds(
    metrics: dict, floors: dict[str, float], ceilings: dict[str, float] | None = None
) -> list[str]:
    """A sentence per bound that was missed (an unmeasured metric misses its bound)."""
    missed = []
    for bounds, over in ((floors, False), (ceilings or {}, True)):
        for name, bound in bounds.items():
            value = metrics.get(name)
            if value is None:
                missed.append(f"{name} was not measured (bound {bound})")
            elif (value > bound) if over else (value < bound):
                missed.append(f"{name} = {value:.4g} is {'over' if over else 'under'} {bound}")
    return missed
