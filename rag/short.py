"""The short answer: the words of an answering sentence that are what was asked ("approximately
200 kilometers" for "how long is the railway?", "three to four years" for "how long will it
take?"), read from the entities indexing stored with the sentence.

Only for a question asking for a kind that an entity carries (a person, a date, an amount, a
count...), and only when the sentence holds one such entity the question does not give, or one
that stands out (it comes with the counted thing, or next to the question's own words).
Otherwise there is no short answer and the sentence is the answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from index.nlp import Mention
from rag import claims, lexicon
from rag.analysis import NUMERIC, Asked, QuestionAnalysis
from rag.judge import Sentence
from rag.support import words

#: The entity labels that can be, alone, the answer to each kind of question: narrower than
#: what the judge accepts (a country is not the short answer to "who signed?").
SHORT_LABELS: dict[Asked, frozenset[str]] = {
    Asked.PERSON: frozenset({"PERSON"}),
    Asked.ORGANISATION: frozenset({"ORG"}),
    Asked.PLACE: frozenset({"GPE", "LOC", "FAC"}),
    Asked.DATE: frozenset({"DATE"}),
    Asked.DURATION: frozenset({"DATE", "TIME"}),
    Asked.MONEY: frozenset({"MONEY"}),
    Asked.QUANTITY: frozenset({"QUANTITY"}),
    Asked.COUNT: frozenset({"CARDINAL"}),
    Asked.PERCENT: frozenset({"PERCENT"}),
}
_DURATION_UNITS = re.compile(
    r"\b(?:years?|months?|weeks?|days?|hours?|minutes?|seconds?|decades?|centur(?:y|ies))\b",
    re.IGNORECASE,
)
_NEAR = 60  # characters around a candidate where the question's words count
#: question words near a candidate needed to take it for the answer (unless it comes with
#: the counted thing: "47 articles"); measured on the development sets, where a name or a
#: date with fewer was as often another entity of the sentence as the asked one. A measure
#: of the asked kind ("three to four years" for "how long … take") says more by itself.
MIN_CLOSENESS = 2
MIN_CLOSENESS_MEASURE = 1
_MEASURES = frozenset({Asked.DURATION, Asked.MONEY, Asked.QUANTITY, Asked.PERCENT})
#: ... and more than any other candidate by this many
MARGIN = 2
_BESIDE = 20  # characters: "the city of Kars", "Syunik province"
_CAPITALISED_RUN = re.compile(r"[A-Z][\w'.-]*(?:\s+(?:(?:of|and|for|on|de|la)\s+)?[A-Z][\w'.-]*)*")
_WHEN = frozenset({Asked.DATE, Asked.DURATION})
_NAMES = frozenset({"PERSON", "ORG", "GPE", "LOC", "FAC", "NORP"})


def short_answer(question: QuestionAnalysis, sentences: Sequence[Sentence]) -> Short | None:
    """The one entity of the answering `sentences` that answers `question`, or None.

    Of several candidates, the ones that come with the counted thing ("79 moons") count
    first; then the one with clearly most of the question's words around it. Two different
    entities about as close are no short answer: the sentences stay the answer."""
    if _labels(question) is None:
        return None
    found = [(i, m) for i, s in enumerate(sentences) for m in _candidates(question, s)]
    if _several(question):
        return None
    counted = []
    if question.asked is Asked.COUNT and question.focus:
        counted = [
            (i, m) for i, m in found if _focus_after(question, sentences[i].text, m) is not None
        ]
        found = counted or found
    if not found:
        return None
    asked = set(words(question.question)) - set(words(" ".join(question.focus)))
    closeness = {(i, m): _closeness(asked, sentences[i].text, m) for i, m in found}
    best = max(closeness.values())
    needed = MIN_CLOSENESS_MEASURE if question.asked in _MEASURES else MIN_CLOSENESS
    if best < needed and not counted:
        return None  # nothing the question says is near it: not clearly the asked thing
    top = [(i, m) for i, m in found if closeness[i, m] > best - MARGIN]
    texts = {sentences[i].text[m.start : m.end].lower() for i, m in top}
    if len(texts) != 1:
        return None  # another candidate is nearly as close: no clear answer
    i, mention = top[0]
    text = sentences[i].text
    if mention.label in _NAMES - {"PERSON"}:  # a person's run would take in their title
        mention = _whole_name(text, mention)
    return Short(i, _with_focus(question, text, mention).strip(" ,;:"))


@dataclass(frozen=True)
class Short:
    sentence: int  # which of the sentences holds it
    text: str


def _closeness(asked: set[str], text: str, mention: Mention) -> int:
    """How many of the question's words are near the mention in its sentence."""
    around = text[max(0, mention.start - _NEAR) : mention.end + _NEAR]
    return len(asked & set(words(around)))


def _labels(question: QuestionAnalysis) -> frozenset[str] | None:
    """The labels a short answer may have; None: this kind has no short answer."""
    if question.money and question.asked is Asked.QUANTITY:
        return SHORT_LABELS[Asked.MONEY]
    return SHORT_LABELS.get(question.asked)


def _candidates(question: QuestionAnalysis, sentence: Sentence) -> list[Mention]:
    """Entities of an asked label that the question does not give."""
    asked = set(words(question.question))
    labels = _labels(question) or frozenset()
    exclude_countries = (
        question.asked is Asked.PLACE
        and bool(question.focus)
        and question.focus[-1].lower() not in lexicon.words("country_nouns")
    )
    found: list[Mention] = []
    for mention in sentence.mentions:
        text = sentence.text[mention.start : mention.end]
        if mention.label not in labels and not _counts_focus(question, sentence.text, mention):
            continue
        own = set(words(text))
        if own and own <= asked:
            continue  # the question gives it
        if mention.label in _NAMES and _given(question, text):
            continue
        if exclude_countries and claims.is_country(text):
            continue  # "which city?" is not answered by a country
        if not _by_focus(question, sentence.text, mention):
            continue
        if question.asked is Asked.DURATION and not _DURATION_UNITS.search(text):
            continue
        if question.asked in _WHEN and not _dated(text):
            continue  # "today", "this month": relative to a text's own date
        found.append(mention)
    return found


def _several(question: QuestionAnalysis) -> bool:
    """The question asks for a number of things: "which two places", "name three cities"."""
    if not question.focus:
        return False
    numbers = [g.text for g in question.given if g.label == "CARDINAL"]
    return any(
        re.search(rf"\b{re.escape(n)}\s+{re.escape(question.focus[0])}", question.question, re.I)
        for n in numbers
    )


def _whole_name(text: str, mention: Mention) -> Mention:
    """The capitalised name the mention is part of: the recogniser may find "Congress" in
    "the Library of Congress"."""
    for run in _CAPITALISED_RUN.finditer(text):
        start = run.start() + (4 if run.group().startswith("The ") else 0)
        if start <= mention.start and mention.end <= run.end():
            return Mention(start, run.end(), mention.label)
    return mention


def _dated(text: str) -> bool:
    """A date or a span of time that holds a number or a month ("March 1998", "the 16th
    century", "three years")."""
    return claims.has_number(text) or any(claims.is_month(w) for w in re.findall(r"\w+", text))


def _given(question: QuestionAnalysis, name: str) -> bool:
    """Some word of the name is one the question names, in any spelling ("Joe Biden" when
    it asks about Biden; "Turkey" when it says "Turkish")."""
    named = claims.name_words(name)
    return bool(named) and len(claims.unmentioned(named, [question.question])) < len(named)


def _by_focus(question: QuestionAnalysis, text: str, mention: Mention) -> bool:
    """Where the sentence names the asked kind ("which province?": "... Syunik province"), the
    answer is the entity beside that word, not another one of the sentence."""
    if not question.focus or question.asked is Asked.COUNT:
        return True
    head = re.escape(question.focus[-1].lower().rstrip("s"))
    places = [m.start() for m in re.finditer(rf"\b{head}", text, re.IGNORECASE)]
    return not places or any(mention.start - _BESIDE <= p <= mention.end + _BESIDE for p in places)


def _counts_focus(question: QuestionAnalysis, text: str, mention: Mention) -> bool:
    """For "how many <things>", a number recognised with its things whatever its label:
    "20 years" (a DATE), "4096 files" (a DATE to the small model)."""
    if question.asked is not Asked.COUNT or not question.focus:
        return False
    found = text[mention.start : mention.end]
    if mention.label not in NUMERIC | {"DATE", "TIME"} or not claims.has_number(found):
        return False
    head = question.focus[-1].lower().rstrip("s")
    return head in found.lower() or _focus_after(question, text, mention) is not None


def _focus_after(question: QuestionAnalysis, text: str, mention: Mention) -> int | None:
    """Where the asked thing's head noun ends, when it follows the mention within two words."""
    head = question.focus[-1].lower().rstrip("s")
    found = re.match(rf"(?:\s+[\w-]+){{0,2}}?\s+{re.escape(head)}\w*", text[mention.end :], re.I)
    return mention.end + found.end() if found else None


def _with_focus(question: QuestionAnalysis, text: str, mention: Mention) -> str:
    """The mention, with the counted thing after it for "how many": "79 moons"."""
    if question.asked is Asked.COUNT and question.focus:
        end = _focus_after(question, text, mention)
        if end is not None:
            return text[mention.start : end]
    return text[mention.start : mention.end]
