"""Choosing the answer judge by measurement: "does this sentence answer this question?" on
question-sentence pairs labelled from development question sets.

For each question the pipeline's retriever gives passages; each of their sentences becomes a
pair. A sentence holding one of an answerable question's evidence strings answers it; a
sentence holding neither evidence nor an expected answer does not; every sentence retrieved
for an unanswerable question does not. Sentences that hold an expected answer without its
evidence are left out (they may answer in other words).

Candidates, each a function of (question analysis, sentence): the wording rules alone (the
previous release's `rag.expectations`), the constraint judge (`rag.judge.answers`), and the
packaged local model asked "yes or no", scored by the log-probability of "yes" (never by its
generated text) and calibrated on the pairs.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from eval.questions import Question, normalise
from rag import judge
from rag.analysis import QuestionAnalysis, analyse
from rag.support import SupportScorer, passage_sentences

MIN_WORDS = 5
SHORTLIST = 8  # the sentences a backend weighs for a question: the best by support score


@dataclass(frozen=True)
class Pair:
    question_id: str
    analysis: QuestionAnalysis
    sentence: judge.Sentence
    relevance: float  # the support score that ranked it (lexical and embedding)
    answers: bool


@dataclass(frozen=True)
class Measured:
    name: str
    precision: float
    recall: float
    f1: float
    ms_per_pair: float
    threshold: float | None = None

    def row(self) -> str:
        threshold = "" if self.threshold is None else f"{self.threshold:.2f}"
        return (
            f"| {self.name} | {self.precision:.3f} | {self.recall:.3f} | {self.f1:.3f} | "
            f"{self.ms_per_pair:.2f} | {threshold} |"
        )


HEADER = "| judge | precision | recall | F1 | ms per pair | threshold |\n|---|---|---|---|---|---|"


def labelled_pairs(
    questions: Sequence[Question], retrieve: Callable, embed: Callable | None = None
) -> list[Pair]:
    """The labelled pairs of a question set: its shortlisted sentences. `retrieve(text)`
    gives a `Retrieval`, `embed` sentence vectors (as the pipeline ranks with)."""
    pairs = []
    for question in questions:
        analysis = analyse(question.question)
        sentences = [
            s
            for s in passage_sentences(retrieve(analysis.search).passages)
            if len(s.text.split()) >= MIN_WORDS
        ]
        for support in SupportScorer(sentences, embed).rank(analysis.search, shortlist=SHORTLIST):
            source = support.sentence
            text = normalise(source.text).casefold()
            holds_evidence = any(normalise(e).casefold() in text for e in question.evidence)
            holds_answer = any(normalise(a).casefold() in text for a in question.answer_contains)
            if question.answerable and holds_answer and not holds_evidence:
                continue
            label = question.answerable and holds_evidence
            pairs.append(
                Pair(question.id, analysis, judge.sentence_of(source), support.score, label)
            )
    return pairs


def measure(name: str, pairs: Sequence[Pair], decide: Callable[[Pair], bool]) -> Measured:
    started = time.perf_counter()
    decided = [decide(pair) for pair in pairs]
    ms = (time.perf_counter() - started) * 1000 / max(1, len(pairs))
    return _scored(name, pairs, decided, ms)


def calibrated(name: str, pairs: Sequence[Pair], score: Callable[[Pair], float]) -> Measured:
    """A scoring judge at the threshold with the best F1 on the pairs."""
    started = time.perf_counter()
    scores = [score(pair) for pair in pairs]
    ms = (time.perf_counter() - started) * 1000 / max(1, len(pairs))
    best = max(
        (_scored(name, pairs, [s >= t for s in scores], ms, t) for t in sorted(set(scores))),
        key=lambda m: m.f1,
        default=_scored(name, pairs, [False] * len(pairs), ms),
    )
    return best


def _scored(
    name: str, pairs: Sequence[Pair], decided: list[bool], ms: float, threshold: float | None = None
) -> Measured:
    hits = sum(d and p.answers for d, p in zip(decided, pairs, strict=True))
    precision = hits / max(1, sum(decided))
    recall = hits / max(1, sum(p.answers for p in pairs))
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Measured(name, precision, recall, f1, ms, threshold)


def relevance(pair: Pair) -> float:
    return pair.relevance


def gated(score: Callable[[Pair], float], decide: Callable[[Pair], bool]) -> Callable:
    """A score that counts only where `decide` lets the pair through (0 elsewhere)."""
    return lambda pair: score(pair) if decide(pair) else 0.0


def wording_rules(pair: Pair) -> bool:
    """The previous release's judge: the question's wording patterns alone."""
    expected = pair.analysis.expected
    return expected is None or expected.met_by(pair.sentence.text)


def constraints(pair: Pair) -> bool:
    return judge.answers(pair.analysis, pair.sentence).answers


class ModelJudge:
    """The local model's probability that the answer to "does this sentence answer the
    question? yes or no" is yes, read from its next-token logits (Qwen's chat format)."""

    PROMPT = (
        "Sentence: {sentence}\nQuestion: {question}\n"
        "Does the sentence answer the question? Reply yes or no."
    )

    def __init__(self, model_path: Path, threads: int = 2) -> None:
        from rag.backends.base import require
        from rag.backends.llamacpp import load

        self._llama_cpp = require("llama_cpp", "llamacpp")
        self._model = load(model_path, threads)

    def __call__(self, pair: Pair) -> float:
        llama = self._model.llama
        content = self.PROMPT.format(sentence=pair.sentence.text, question=pair.analysis.question)
        prompt = f"<|im_start|>user\n{content}<|im_end|>\n<|im_start|>assistant\n"
        tokens = llama.tokenize(prompt.encode(), add_bos=False, special=True)
        with self._model.lock:
            llama.reset()
            llama.eval(tokens)  # the last position's logits (the model keeps no others)
            logits = self._llama_cpp.llama_get_logits(llama.ctx)[: llama.n_vocab()]
        top = max(logits)
        chances = {i: math.exp(logits[i] - top) for i in self._ids(llama)}
        yes = sum(chances[i] for i in self._yes)
        total = sum(chances.values())
        return yes / total if total else 0.0

    def _ids(self, llama) -> set[int]:
        """The token ids of "yes" and "no" as the model would begin its reply."""
        if not hasattr(self, "_yes"):
            self._yes = {llama.tokenize(w.encode(), add_bos=False)[0] for w in ("yes", "Yes")}
            self._no = {llama.tokenize(w.encode(), add_bos=False)[0] for w in ("no", "No")}
        return self._yes | self._no
