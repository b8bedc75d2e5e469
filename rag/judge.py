"""The answer judge: does this sentence answer this question? One component, used by evidence
selection, every backend and the pipeline's checks.

"Answers" is constraint matching on the question's analysis (`rag.analysis`) and on the
entities indexing found in the sentence (`index.nlp`):
- the sentence holds a candidate of the asked kind that the question does not give (a person
  for "who", a date for "when", an amount of money for "how much … cost", a number counting
  the asked thing for "how many");
- every year and number the question gives is in the sentence or in the text before it (a
  question about 2019 is not answered by a sentence about 2021).
It was chosen by measurement over the labelled question-sentence pairs of the development
sets (`rag judge-eval`, eval/README.md). Whether a quote supports a claim is decided by the
claim check (`rag.claims`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from index.nlp import Mention
from rag import claims
from rag.analysis import NUMERIC, Asked, QuestionAnalysis
from rag.citing import context_of
from rag.support import SourceSentence, words

NAMED = (Asked.PERSON, Asked.ORGANISATION, Asked.PLACE)
_YEAR = re.compile(r"\b(?:1[5-9]|20)\d\d\b")
_DIGITS = re.compile(r"(?<![\w-])\d[\d,.]*")
_CURRENCY = re.compile(r"[$€£¥]\s?\d|\b\d[\d,.]*\s*(?:[A-Z]{3})\b")
_PERCENT = re.compile(r"\d\s?%|\bper ?cent\b", re.IGNORECASE)
_DURATION_UNITS = re.compile(
    r"\b(?:years?|months?|weeks?|days?|hours?|minutes?|seconds?|decades?|centur(?:y|ies))\b",
    re.IGNORECASE,
)
_WHEN = re.compile(
    r"\b(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December)\b|\b\d{1,2}(?:st|nd|rd|th) century\b|\b(?:before|after|since|during|ago|until|"
    r"by the end of|earlier|later|soon|today|yesterday)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Verdict:
    answers: bool
    reason: str = ""  # why not


@dataclass(frozen=True)
class Sentence:
    """A sentence to judge, with the entities indexing found in it (offsets into `text`)."""

    text: str
    mentions: tuple[Mention, ...] = ()
    context: str = ""  # the text before it (title, earlier sentences): what it refers to

    def found(self, labels: frozenset[str]) -> list[str]:
        return [self.text[m.start : m.end] for m in self.mentions if m.label in labels]


def answers(question: QuestionAnalysis, sentence: Sentence) -> Verdict:
    """Whether the sentence can answer the question (not whether it is true: the claim check
    and the quote check see to that)."""
    if missing := _missing_constraint(question, sentence):
        return Verdict(False, missing)
    if question.expected is not None:
        if not question.expected.met_by(sentence.text):
            return Verdict(False, f"no {question.expected.kind} in the sentence")
        if question.asked in NAMED and sentence.mentions and not _names_new(question, sentence):
            return Verdict(False, "no name the question does not give")
        return Verdict(True)
    if question.asked is Asked.PLACE and question.geographic and not _holds_new(question, sentence):
        return Verdict(False, "no place the question does not give")
    return Verdict(True)


def ranked(question: QuestionAnalysis, sentences: Sequence[Sentence]) -> list[int]:
    """Indexes of `sentences`, those that answer first (stable: their order otherwise)."""
    verdicts = [answers(question, s).answers for s in sentences]
    return sorted(range(len(sentences)), key=lambda i: not verdicts[i])


_ABOUT = re.compile(
    r"^(?:and |so )?(?:what|how)\b.*?\b(?:say|said|says|think|thought|thinks|write|wrote|"
    r"claim|claimed|report|reported|known|know|believe|feel|felt|mean|comment|commented|"
    r"warn|warned|announce|announced)\b.*?\babout (?P<topic>[^?]+)\??$",
    re.IGNORECASE,
)


def covers_topic(question: str, texts: list[str]) -> bool:
    """An answer to "what did X say about Y?" mentions at least half of what Y names
    (Biden's words on a security vacuum do not answer what he said about a nuclear programme)."""
    found = _ABOUT.search(question)
    if found is None:
        return True
    topic = re.sub(r"['’]s\b", "", found.group("topic"))
    names = claims.names_in(topic)
    name_words = set(words(" ".join(names)))
    others = set(words(topic)) - name_words
    if not others and not names:
        return True
    said = set(words(" ".join(texts)))
    missing = len(claims.unmentioned_names(topic, texts)) + len(others - said)
    return 2 * missing <= len(others) + len(names)


def _missing_constraint(question: QuestionAnalysis, sentence: Sentence) -> str:
    """A year or number the question gives that neither the sentence nor its context holds."""
    around = f"{sentence.context} {sentence.text}"
    for year in question.years:
        if not _holds_number(around, year):
            return f"the year {year} is not in the sentence"
    numbers = {
        n.rstrip(".,")
        for g in question.given
        if g.label in NUMERIC and not _YEAR.search(g.text)
        for n in _DIGITS.findall(g.text)
    }
    for number in numbers:
        if not _holds_number(around, number):
            return f"the number {number} is not in the sentence"
    return ""


def _holds_number(text: str, number: str) -> bool:
    """The number stands in the text as a number of its own ("2" is not in "2050")."""
    return bool(re.search(rf"(?<![\d.,]){re.escape(number)}(?![\d]|[.,]\d)", text))


def _names_new(question: QuestionAnalysis, sentence: Sentence) -> bool:
    """The sentence names something the question does not (of any kind of name: the
    recogniser often takes an organisation for a place, or a person for an organisation)."""
    asked = question.question.lower()
    names = [m for m in sentence.mentions if m.label not in NUMERIC | {"DATE", "TIME"}]
    return any(sentence.text[m.start : m.end].lower() not in asked for m in names)


def _holds_new(question: QuestionAnalysis, sentence: Sentence) -> bool:
    """The sentence holds a candidate of the asked kind that the question does not give."""
    asked = question.question.lower()
    labels = question.labels
    candidates = [c for c in sentence.found(labels) if c.lower() not in asked]
    if question.asked is Asked.DURATION:
        candidates = [c for c in candidates if _DURATION_UNITS.search(c)]
    if candidates:
        return True
    if sentence.mentions and labels.isdisjoint(NUMERIC | {"DATE", "TIME"}):
        return False  # the recogniser read this sentence and found no such name
    return _pattern_holds(question.asked, question.money, sentence.text, asked)


def _pattern_holds(asked: Asked, money: bool, text: str, question: str) -> bool:
    """What the entity recogniser may miss, by the shape of the text: digits, currency signs,
    units, dates. Also the reading of a sentence stored without entities."""
    if asked is Asked.DURATION:
        return bool(_DURATION_UNITS.search(text) and claims.has_number(text))
    if asked is Asked.MONEY or money:
        return bool(_CURRENCY.search(text))
    if asked is Asked.PERCENT:
        return bool(_PERCENT.search(text))
    if asked in (Asked.QUANTITY, Asked.COUNT):
        return claims.has_number(text)
    if asked is Asked.DATE:
        return bool(_YEAR.search(text) or _WHEN.search(text))
    if asked in (Asked.PERSON, Asked.ORGANISATION, Asked.PLACE):
        new = claims.unmentioned_names(text, [question])
        return bool(new)
    return True


def sentence_of(source: SourceSentence) -> Sentence:
    """A passage sentence as the judge reads it: its entities, and the text before it."""
    mentions = tuple(
        Mention(m.start - source.start, m.end - source.start, m.label)
        for m in source.passage.entities
        if source.start <= m.start and m.end <= source.end
    )
    return Sentence(source.text, mentions, context_of(source))
