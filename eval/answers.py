"""Answer text scored as SQuAD 2.0's official evaluation script scores it: normalised (lower
case, punctuation removed, the articles a/an/the removed, whitespace collapsed), then exact
match and token F1, each the best over the gold answers. Written once, for SQuAD's own measures
and for every report's `answer_f1`. The pipeline's [n] citation markers are not answer words."""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Callable, Sequence

from rag.support import strip_markers

_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
_PUNCTUATION = frozenset(string.punctuation)


def normalize_answer(text: str) -> str:
    """SQuAD's normalize_answer: lower, remove punctuation, remove articles, fix whitespace."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(prediction: str, gold: str) -> float:
    return float(normalize_answer(prediction) == normalize_answer(gold))


def token_f1(prediction: str, gold: str) -> float:
    """Harmonic mean of token precision and recall; 1 if both are empty, 0 if only one is."""
    predicted, expected = normalize_answer(prediction).split(), normalize_answer(gold).split()
    if not predicted or not expected:
        return float(predicted == expected)
    same = sum((Counter(predicted) & Counter(expected)).values())
    if not same:
        return 0.0
    precision, recall = same / len(predicted), same / len(expected)
    return 2 * precision * recall / (precision + recall)


def best(score: Callable[[str, str], float], prediction: str, golds: Sequence[str]) -> float:
    """The best score over the gold answers (SQuAD's max over them)."""
    return max(score(prediction, gold) for gold in golds)


def gold_answers(texts: Sequence[str]) -> list[str]:
    """The golds SQuAD scores against: those not empty once normalised, else [""] (what an
    unanswerable question expects: the empty answer)."""
    return [text for text in texts if normalize_answer(text)] or [""]


def answer_text(answer: str, declined: bool) -> str:
    """What is scored: the answer without its [n] markers; a decline is the empty answer."""
    return "" if declined else strip_markers(answer)[0]


def words(text: str) -> int:
    return len(text.split())
