"""What kind of answer a question asks for, and whether a sentence can be that answer.

A question asking "how much", "what year" or "in tonnes" cannot be answered by a sentence
with no amount, no year or no tonnes, however many words it shares with the question. This
is what lets the bot say "the documents don't say" about details the corpus lacks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from rag.claims import NUMBER_WORDS, is_month, is_place, names_in, unmentioned_names, word_key

# the claim check's number words (number-parser's), and words that scale or count
_NUMBER_WORDS = "|".join(
    sorted(
        set(NUMBER_WORDS) - {"zero"}
        | {"thousand", "million", "billion", "trillion", "half", "double", "twice"}
        | {"hundreds", "thousands", "millions", "billions"},
        key=len,
        reverse=True,
    )
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
# "When ...?" is answered by a date or by a time told relative to something ("just before
# the inauguration", "three decades ago", "since the war"); "a new era" or "the period" alone
# dates nothing.
_WHEN = re.compile(
    rf"{_TIME.pattern}|\b(?:before|after|since|during|ago|until|till|by the end of|last|next|"
    r"previous|recent(?:ly)?|earlier|later|soon|today|yesterday|weeks?|months?|years?|"
    r"decades?|century)\b",
    re.IGNORECASE,
)
_MEASURE = re.compile(
    rf"(?:\d[\d,.]*|\b(?:one|{_NUMBER_WORDS}))\s*(?:-|\w+\s)?\s*(?:kilomet(?:er|re)s?|met(?:er|re)s?|"
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
    "speed": r"\bkm/h\b|\bmph\b|\bknots?\b|\b(?:per|an|a) hour\b",
    "population": r"\b(?:population|inhabitants|residents|citizens|people)\b",
}
_QUESTION_UNITS = {
    "tonnes": r"\b(?:tonnes?|tons?)\b",
    "kilometers": r"\b(?:kilomet(?:er|re)s?|km)\b",
    "miles": r"\bmiles?\b",
    "barrels": r"\bbarrels?\b",
    "cubic": r"\bcubic\b",
    "percent": r"\bper ?cent(?:age)?\b|%",
    "speed": r"\bspeeds?\b|\bhow fast\b",
    "population": r"\bpopulation\b|\bhow many (?:people|inhabitants|residents|citizens) live\b",
}
# Words that end the counted thing of "how many ...": "how many oil and gas fields" counts oil.
_COUNT_ENDS = re.compile(
    r"^(?:is|are|was|were|do|does|did|has|have|had|will|would|can|could|should|of|in|on|at|"
    r"for|to|from|by|with|per|the|a|an|and|or|than|more|times|that|which|who)$",
    re.IGNORECASE,
)
_FULL_NAME = re.compile(r"[A-Z][\w'-]+(?: [A-Z][\w'-]+)+")
COUNT_WINDOW = 5  # "13 joint technical committees", "hundreds of Iranian drones"


@dataclass(frozen=True)
class Expectation:
    kind: str  # "number" | "measure" | "money" | "year" | "time" | "when" | "name" | "any"
    unit: str | None = None
    asked_names: tuple[str, ...] = ()  # for "name": the names the question itself gives
    counted: frozenset[str] = frozenset()  # "how many jets": a number must count jets
    places: bool = False  # "who weakened Iran?": in news, a country acts too ("Israel")
    organisation: str | None = None  # "which company…?": a person or a place does not answer
    needs: tuple[str, ...] = ()  # words the asked relation or role needs ("signed", "ambassador")

    def met_by(self, sentence: str) -> bool:
        if not all(re.search(need, sentence, re.IGNORECASE) for need in self.needs):
            return False
        if self.kind == "any":
            return True
        if self.kind == "name":  # "who ...?" is answered by a person the question lacks
            new = set(unmentioned_names(sentence, list(self.asked_names)))
            people = {n for n in names_in(" ".join(self.asked_names)) if not is_place(n)}
            new -= _named_with(sentence, people)
            if self.organisation:
                return bool(new) and _names_an_organisation(sentence, new, self.organisation)
            return any((self.places or not is_place(name)) and not is_month(name) for name in new)
        if self.unit and not re.search(_UNITS[self.unit], sentence, re.IGNORECASE):
            return False
        pattern = {
            "number": _NUMBER,
            "measure": _MEASURE,
            "money": _MONEY,
            "year": _YEAR,
            "time": _TIME,
            "when": _WHEN,
        }[self.kind]
        if self.counted:
            return _counts(sentence, self.counted)
        return bool(pattern.search(sentence))


def _named_with(sentence: str, asked: set[str]) -> set[str]:
    """Words of a full name that holds an asked one: "Hakan" when "Fidan" was asked."""
    return {
        word
        for full in _FULL_NAME.findall(sentence)
        if asked & set(parts := full.split())
        for word in parts
    }


def _names_an_organisation(sentence: str, new: set[str], noun: str) -> bool:
    """An acronym ("SWIFT"), a name holding an organisation's word ("… Oil Company"), or the
    asked noun beside a new name ("the newspaper Iran"); a minister's name is no company."""
    return any(
        (n.isupper() and len(n) > 1) or n.lower() in _ORGANISATION_WORDS for n in new
    ) or word_key(noun) in {word_key(word) for word in re.findall(r"[\w-]+", sentence)}


def _counts(sentence: str, counted: frozenset[str]) -> bool:
    """A number stands shortly before one of the counted words ("six oil fields", "a
    65,536-processor computer")."""
    tokens = re.split(r"\s+|(?<=\d)-(?=[A-Za-z])", sentence)
    numbers = [i for i, token in enumerate(tokens) if _NUMBER.search(token)]
    return any(
        0 < i - n <= COUNT_WINDOW
        for i, token in enumerate(tokens)
        if word_key(token.strip(".,;:!?()“”\"'’")) in counted
        for n in numbers
    )


def _counted(question: str) -> frozenset[str]:
    """The words "how many" counts, up to the verb or preposition after them."""
    found = re.search(r"\bhow many ((?:[\w-]+ ?){1,4})", question, re.IGNORECASE)
    counted: list[str] = []
    for word in found.group(1).split() if found else []:
        if _COUNT_ENDS.match(word):
            break
        counted.append(word_key(word))
    return frozenset(counted)


_AUXILIARY = r"(?:is|was|are|were|did|does|do|has|have|had|will|would|can|could|the|a|an)\b"
_WHICH = rf"\b(?:which|what) (?:(?!{_AUXILIARY})[\w-]+ ){{0,2}}"  # "which Iranian", "what bank"
_ROLES = {  # a role asked for, and the words by which a sentence names someone in it
    "ambassador": r"\bambassadors?\b|\benvoys?\b",
    "minister": r"\bminist(?:er|ers|ry)\b|\bFM\b",
    "president": r"\bpresiden\w*",
    "spokesman": r"\bspokes\w+",
    "governor": r"\bgovern\w*",
    "mayor": r"\bmayors?\b",
    "commander": r"\bcommand\w*",
    "founder": r"\bfound(?:ed|er|ers|ing)\b|\bestablish\w*|\bset up\b",
    "head": r"\blead(?:s|ing|er|ers|ership)?\b|\bled\b|\bheads?\b|\bheaded\b|\bchief\w*|\bchair\w*|"
    r"\bdirector\w*|\bpresiden\w*|\bCEO\b|\bboss\w*|\bmanag(?:es|ed|er|ers|ing)\b|\bruns\b|\bran\b",
}
_ROLE_OF = {
    "ambassador": "ambassador", "envoy": "ambassador", "minister": "minister",
    "president": "president", "spokesman": "spokesman", "spokeswoman": "spokesman",
    "spokesperson": "spokesman", "governor": "governor", "mayor": "mayor",
    "commander": "commander", "founder": "founder", "founded": "founder",
    "established": "founder", "heads": "head", "head": "head", "leads": "head", "led": "head",
    "chairs": "head", "chaired": "head", "chairman": "head", "chairwoman": "head", "chair": "head",
    "runs": "head", "ran": "head", "directs": "head", "director": "head", "manages": "head",
    "chief": "head", "ceo": "head",
}  # fmt: skip
_ROLE_WORDS = "|".join(sorted(_ROLE_OF, key=len, reverse=True))
# The role is the one asked for ("which minister", "the name of Russia's ambassador", "who heads",
# "represents Iran as ambassador"), not one describing someone in the question.
_ASKS_ROLE = re.compile(
    rf"{_WHICH}(?P<a>{_ROLE_WORDS})s?\b|"
    rf"\bnames? of (?:the |[\w-]+['’]s )?(?:[\w-]+ ){{0,2}}?(?P<b>{_ROLE_WORDS})s?\b|"
    rf"^(?:and )?who (?:is |was |are |were )?(?:the )?(?:[\w-]+ ){{0,3}}?(?P<c>{_ROLE_WORDS})\b|"
    rf"^(?:and )?who (?:[\w-]+ ){{1,4}}as (?:an? |the )?(?:[\w-]+ )?(?P<d>{_ROLE_WORDS})\b",
    re.IGNORECASE,
)
_ORGANISATIONS = (
    r"compan(?:y|ies)|banks?|firms?|organi[sz]ations?|agenc(?:y|ies)|newspapers?|part(?:y|ies)"
)
_ORGANISATION_WORDS = {
    "company", "bank", "corporation", "group", "agency", "organization", "organisation",
    "council", "commission", "party", "institute", "fund", "ministry", "association", "union",
    "committee", "authority", "holding", "holdings", "inc", "ltd",
}  # fmt: skip
_ASKS_NAME = re.compile(
    r"^(?:and )?(?:who|whom)\b|\bwho (?:is|was|are|were|did|does|will|met|signed|leads?)\b|"
    r"\bnames? of\b|"
    rf"{_WHICH}(?:leaders?|president|ministers?|"
    r"officials?|person|people|analysts?|experts?|diplomats?|ambassadors?|spokes\w+|commanders?|"
    rf"(?P<organisation>{_ORGANISATIONS})|groups?|militias?|think tanks?)\b",
    re.IGNORECASE,
)
# Some relations are stated only with their own words: what two sides signed or agreed on is
# told with "signed", "agreement", "deal"; who mediated, with "mediated", "brokered".
_RELATIONS = (
    (
        r"^(?:and )?(?:what|which(?: [\w-]+){0,3}) (?:did|do|does|have|has|had|will|would) "
        r"(?:[\w'’-]+ ){1,8}?(?:agree|sign|ink)\b|"
        r"^(?:and )?who (?:has |have |had )?(?:agreed|signed|inked)\b",
        r"\bagree\w*|\bsign(?:s|ed|ing)?\b|\binked\b|\bdeals?\b|\bmemorand\w*|\btreat(?:y|ies)\b|"
        r"\baccords?\b|\bpacts?\b|\bcontracts?\b",
    ),
    (r"\bmediat\w*|\bbrokered\b", r"\bmediat\w*|\bbroker\w*|\bfacilitat\w*|\bintermediar\w*"),
)
# A language, religion, currency or capital asked for is named with words of its kind (keyed by
# the start of the asked word: "currenc" for currency and currencies).
_ATTRIBUTES = {
    "language": r"\blanguages?\b|\bspeak\w*|\bspoken\b|\btongues?\b|\bdialects?\b",
    "religion": r"\breligio\w*|\bfaiths?\b|\bmuslims?\b|\bislam\w*|\bshi(?:a|ite|'ite)s?\b|"
    r"\bsunnis?\b|\bchristian\w*|\bjew\w*|\bcatholic\w*|\borthodox\b|\bbuddhis\w*|\bhindu\w*",
    "currenc": r"\bcurrenc\w*|\brials?\b|\brubles?\b|\broubles?\b|\blira\b|\bdollars?\b|"
    r"\beuros?\b|\bmanats?\b|\byuan\b|\brupees?\b",
    "capital": r"\bcapitals?\b",
}
_ASKS_ATTRIBUTE = re.compile(
    rf"^(?:and )?(?:what|which)\b(?: [\w'’-]+){{0,4}}? "
    rf"(?P<attribute>{'|'.join(_ATTRIBUTES)})(?:y|ies|s)?\b",
    re.IGNORECASE,
)
# A question asking who, which or why is not asking for an amount it happens to mention
# ("Which project was slowed by disputes over price?").
_ASKS_OTHER = re.compile(r"^(?:and |so |but )?(?:who|whom|whose|which|why|where)\b", re.IGNORECASE)
# "Who is Ilham Aliyev?" asks what he is (a title, a role), not for another name.
_WHO_IS_NAME = re.compile(r"^(?i:who (?:is|was|are|were)) (?:[A-Z][\w'-]+ ?)+\??$")
# "Who weakened ...?", "Who has signed ...?" ask who acted; "who is ...", "who did X meet" do not.
_WHO_ACTED = re.compile(r"^(?:and )?who (?!(?:is|was|are|were|did|does|do)\b)", re.IGNORECASE)


def expectation(question: str) -> Expectation | None:
    """What a sentence must hold to answer the question, or None when any sentence may."""
    needs = _needs(question)
    asked = _kind_asked(question)
    if asked is None:
        return Expectation("any", needs=needs) if needs else None
    return replace(asked, needs=needs)


def _needs(question: str) -> tuple[str, ...]:
    needs = [answer for asked, answer in _RELATIONS if re.search(asked, question, re.IGNORECASE)]
    if role := _ASKS_ROLE.search(question):
        needs.append(_ROLES[_ROLE_OF[next(filter(None, role.groups())).lower()]])
    if attribute := _ASKS_ATTRIBUTE.search(question):
        needs.append(_ATTRIBUTES[attribute.group("attribute").lower()])
    return tuple(needs)


def _kind_asked(question: str) -> Expectation | None:
    if _WHO_IS_NAME.match(question.strip()):
        return None
    if name := _ASKS_NAME.search(question):
        return Expectation(
            "name",
            asked_names=(question,),
            places=bool(_WHO_ACTED.match(question)),
            organisation=name.group("organisation"),
        )
    q = question.lower()
    unit = next((u for u, p in _QUESTION_UNITS.items() if re.search(p, q)), None)
    if re.search(r"\b(?:what|which) year\b|\byear did\b", q):
        return Expectation("year")
    if re.search(r"\bsince when\b|\bwhat (?:date|century|month)\b", q):
        return Expectation("time")
    if re.match(r"(?:and |so |but )?when\b", q):
        return Expectation("when")
    if _ASKS_OTHER.search(q):
        return None
    if re.search(
        r"\b(?:price|cost|budget|paying|pay|worth|spend|spent|fee|salary|gdp)\b|"
        r"\bgross domestic product\b",
        q,
    ):
        return Expectation("money", unit)
    if re.search(r"\bhow (?:long|big|large|far|old|tall|wide|high|deep|fast)\b", q):
        return Expectation("measure", unit)
    if unit or re.search(
        r"\bhow (?:much|many)\b|"
        r"\bwhat (?:\w+ ){0,2}(?:percentage|share|amount|number|capacity|volume|size|length|"
        r"area|height|width|depth|weight|distance|rate|toll)\b",
        q,
    ):
        return Expectation("number", unit, counted=_counted(q))
    return None
