"""What kind of answer a question asks for, and whether a sentence can be that answer.

A question asking "how much", "what year" or "in tonnes" cannot be answered by a sentence
with no amount, no year or no tonnes, however many words it shares with the question. This
is what lets the bot say "the documents don't say" about details the corpus lacks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.claims import is_month, is_place, unmentioned_names

_NUMBER_WORDS = (
    r"two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|"
    r"forty|fifty|hundred|thousand|million|billion|trillion|dozen|half|double|twice|"
    r"hundreds|thousands|millions|billions"
)
_NUMBER = re.compile(rf"(?<![\w-])\d[\d,.]*|\b(?:{_NUMBER_WORDS})\b", re.IGNORECASE)
_MONEY = re.compile(
    r"[$€£¥]\s?\d|\b\d[\d,.]*\s*(?:dollars?|euros?|rials?|rubles?|roubles?|lira|usd|eur)\b|"
    r"\b(?:dollars?|euros?|rials?|rubles?|roubles?|lira)\b",
    re.IGNORECASE,
)
_YEAR = re.compile(r"\b(?:1[5-9]|20)\d\d\b")
_TIME = re.compile(
    rf"{_YEAR.pattern}|\b\d{{1,2}}(?:st|nd|rd|th) century\b|\b(?:{_NUMBER_WORDS}|sixteenth|"
    r"seventeenth|eighteenth|nineteenth|twentieth)(?:-\w+)? century\b|\b(?:January|February|"
    r"March|April|May|June|July|August|September|October|November|December)\b",
    re.IGNORECASE,
)
_MEASURE = re.compile(
    rf"(?:\d[\d,.]*|\b(?:{_NUMBER_WORDS}))\s*(?:-|\w+\s)?\s*(?:kilomet(?:er|re)s?|met(?:er|re)s?|"
    r"km|m|miles?|feet|foot|inch(?:es)?|hectares?|acres?|square|cubic|lit(?:er|re)s?|barrels?|"
    r"tons?|tonnes?|kg|kilograms?|years?|months?|weeks?|days?|hours?|minutes?|decades?|"
    r"centur(?:y|ies))\b",
    re.IGNORECASE,
)
_UNITS = {
    "tonnes": r"\b(?:tonnes?|tons?|mt)\b",
    "meters": r"\b(?:met(?:er|re)s?|m)\b",
    "kilometers": r"\b(?:kilomet(?:er|re)s?|km)\b",
    "miles": r"\bmiles?\b",
    "barrels": r"\bbarrels?\b",
    "cubic": r"\bcubic\b|\bbcm\b|\bm3\b",
    "percent": r"\bper ?cent\b|%",
}
_QUESTION_UNITS = {
    "tonnes": r"\b(?:tonnes?|tons?)\b",
    "kilometers": r"\b(?:kilomet(?:er|re)s?|km)\b",
    "miles": r"\bmiles?\b",
    "barrels": r"\bbarrels?\b",
    "cubic": r"\bcubic\b",
    "percent": r"\bper ?cent(?:age)?\b|%",
}


@dataclass(frozen=True)
class Expectation:
    kind: str  # "number" | "measure" | "money" | "year" | "time" | "name"
    unit: str | None = None
    asked_names: tuple[str, ...] = ()  # for "name": the names the question itself gives

    def met_by(self, sentence: str) -> bool:
        if self.kind == "name":  # "who ...?" is answered by a person the question lacks
            new = unmentioned_names(sentence, list(self.asked_names))
            return any(not is_place(name) and not is_month(name) for name in new)
        if self.unit and not re.search(_UNITS[self.unit], sentence, re.IGNORECASE):
            return False
        pattern = {
            "number": _NUMBER,
            "measure": _MEASURE,
            "money": _MONEY,
            "year": _YEAR,
            "time": _TIME,
        }[self.kind]
        return bool(pattern.search(sentence))


_ASKS_NAME = re.compile(
    r"^(?:and )?(?:who|whom)\b|\bwho (?:is|was|are|were|did|does|will|met|signed|leads?)\b|"
    r"\b(?:which|what) (?:\w+ )?(?:leader|president|minister|official|person|people)\b",
    re.IGNORECASE,
)


def expectation(question: str) -> Expectation | None:
    if _ASKS_NAME.search(question):
        return Expectation("name", asked_names=(question,))
    q = question.lower()
    unit = next((u for u, p in _QUESTION_UNITS.items() if re.search(p, q)), None)
    if re.search(r"\b(?:what|which) year\b|\byear did\b", q):
        return Expectation("year")
    if re.search(r"\bsince when\b|\bwhat (?:date|century|month)\b", q):
        return Expectation("time")
    if re.search(r"\b(?:price|cost|budget|paying|pay|worth|spend|spent|fee|salary)\b", q):
        return Expectation("money", unit)
    if re.search(r"\bhow (?:long|big|large|far|old|tall|wide|high|deep)\b", q):
        return Expectation("measure", unit)
    if unit or re.search(
        r"\bhow (?:much|many)\b|"
        r"\bwhat (?:\w+ ){0,2}(?:percentage|share|amount|number|capacity|volume|size|length)\b",
        q,
    ):
        return Expectation("number", unit)
    return None
