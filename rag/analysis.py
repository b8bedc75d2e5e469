"""One reading of a question, made once and passed to retrieval, evidence selection, every
backend, the checks and abstention: what kind of answer it asks for, what an answer must
hold (the names, years and numbers it gives, the thing it asks about), its topic, and
whether it leans on the conversation before it.

Built on spaCy's English model (`index.nlp`): entities, part-of-speech tags and lemmas.
The question grammar read here (wh-words, "how many", "which <noun>") is English, not any
corpus: no rule names a thing of the documents.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from index import nlp
from rag import claims, lexicon
from rag.expectations import Expectation, expectation


class Asked(StrEnum):
    """The kind of answer a question asks for."""

    PERSON = "person"
    ORGANISATION = "organisation"
    PLACE = "place"
    DATE = "date"
    DURATION = "duration"
    MONEY = "money"
    QUANTITY = "quantity"  # a measure with its unit: a length, a size, a speed
    COUNT = "count"
    PERCENT = "percent"
    NAME = "name"  # "which <noun>": something of that kind the question does not name
    YES_NO = "yes/no"
    REASON = "reason"
    DESCRIPTION = "description"
    COMPARISON = "comparison"
    LIST = "list"
    OTHER = "other"


#: The entity labels (spaCy, OntoNotes) that can carry each kind of answer.
LABELS: dict[Asked, frozenset[str]] = {
    Asked.PERSON: frozenset({"PERSON"}),
    Asked.ORGANISATION: frozenset({"ORG", "NORP"}),
    Asked.PLACE: frozenset({"GPE", "LOC", "FAC"}),
    Asked.DATE: frozenset({"DATE", "TIME", "EVENT"}),
    Asked.DURATION: frozenset({"DATE", "TIME", "QUANTITY"}),
    Asked.MONEY: frozenset({"MONEY"}),
    Asked.QUANTITY: frozenset({"QUANTITY", "CARDINAL", "PERCENT", "MONEY", "DATE"}),
    Asked.COUNT: frozenset({"CARDINAL", "QUANTITY"}),
    Asked.PERCENT: frozenset({"PERCENT"}),
}
NUMERIC = frozenset({"CARDINAL", "QUANTITY", "MONEY", "PERCENT", "ORDINAL"})
_PRONOUNS = frozenset(
    {"it", "its", "they", "their", "them", "theirs", "this", "that", "these", "those", "he",
     "she", "his", "her", "him", "there"}
)  # fmt: skip
_CONTINUES = re.compile(r"^(?:and|but|so|also|what about|how about)\b", re.IGNORECASE)
_AUXILIARIES = frozenset(
    {"be", "is", "are", "was", "were", "am", "do", "does", "did", "have", "has", "had", "can",
     "could", "will", "would", "shall", "should", "may", "might", "must"}
)  # fmt: skip
_DETERMINERS = frozenset({"DT", "PDT", "PRP$", "POS", "CD"})
_NOUN_TAGS = frozenset({"NN", "NNS", "NNP", "NNPS"})
_MODIFIER_TAGS = frozenset({"JJ", "JJR", "JJS", "VBN", "VBG", "HYPH"}) | _NOUN_TAGS
# "how <adjective>": what is measured. "how long" is a length or a duration: a duration when
# the verb is one that lasts ("take", "last", "stay").
_HOW = {
    "many": Asked.COUNT,
    "much": Asked.QUANTITY,
    "long": Asked.QUANTITY,
    "far": Asked.QUANTITY,
    "wide": Asked.QUANTITY,
    "tall": Asked.QUANTITY,
    "high": Asked.QUANTITY,
    "deep": Asked.QUANTITY,
    "big": Asked.QUANTITY,
    "large": Asked.QUANTITY,
    "heavy": Asked.QUANTITY,
    "fast": Asked.QUANTITY,
    "old": Asked.QUANTITY,
    "often": Asked.OTHER,
}
_IMPERATIVE = {
    "compare": Asked.COMPARISON,
    "contrast": Asked.COMPARISON,
    "list": Asked.LIST,
    "name": Asked.LIST,
    "enumerate": Asked.LIST,
    "describe": Asked.DESCRIPTION,
    "explain": Asked.DESCRIPTION,
    "summarise": Asked.DESCRIPTION,
    "summarize": Asked.DESCRIPTION,
    "tell": Asked.DESCRIPTION,
}


@dataclass(frozen=True)
class Given:
    """Something the question itself gives: a name, a year, a number (with spaCy's label)."""

    text: str
    label: str


@dataclass(frozen=True)
class QuestionAnalysis:
    question: str  # as asked
    search: str  # what retrieval looks for: the question, or with the earlier topic it leans on
    asked: Asked
    focus: tuple[str, ...] = ()  # the asked thing's words: "how many jets" -> ("jets",)
    given: tuple[Given, ...] = ()  # entities the question names: constraints on an answer
    topic: tuple[str, ...] = ()  # its content lemmas
    leans_on_history: bool = False
    acted: bool = False  # "who signed…?" asks who acted: a country or a company may have
    money: bool = False  # "how much … cost/pay": an amount of money
    #: what the question's wording requires of an answering sentence (rag.expectations)
    expected: Expectation | None = None

    @property
    def labels(self) -> frozenset[str]:
        """The entity labels that can carry the answer (empty: any sentence may)."""
        if self.asked is Asked.PERSON and self.acted:
            return LABELS[Asked.PERSON] | LABELS[Asked.ORGANISATION] | {"GPE"}
        if self.asked is Asked.QUANTITY and self.money:
            return LABELS[Asked.MONEY]
        return LABELS.get(self.asked, frozenset())

    @property
    def names(self) -> tuple[str, ...]:
        """The names the question gives (people, places, organisations, works, laws...)."""
        return tuple(g.text for g in self.given if g.label not in NUMERIC | {"DATE", "TIME"})

    @property
    def geographic(self) -> bool:
        """The question is about places (it names one): "where" then asks for a place too;
        elsewhere "where" may ask for a part of a system or a document."""
        return any(g.label in LABELS[Asked.PLACE] | {"NORP"} for g in self.given)

    @property
    def name_words(self) -> tuple[str, ...]:
        """The words that identify what the question names: its entities' words and any other
        capitalised word inside it ("Marand"), each once. An answer must be about them."""
        words = [w for name in self.names for w in claims.name_words(name)]
        return tuple(dict.fromkeys([*words, *claims.names_in(self.question)]))

    @property
    def years(self) -> tuple[str, ...]:
        return tuple(
            year for g in self.given for year in re.findall(r"\b(?:1[5-9]|20)\d\d\b", g.text)
        )


def analyse(question: str, history: Sequence[tuple[str, str]] = ()) -> QuestionAnalysis:
    """Read the question once. `history` is the earlier (question, answer) turns: a question
    that leans on them is searched for with the previous question's topic."""
    doc = nlp.english()(question)
    tokens = [t for t in doc if not t.is_space]
    asked, focus, acted, money = _asked(tokens)
    given = tuple(
        dict.fromkeys(Given(ent.text, ent.label_) for ent in doc.ents if ent.label_ != "ORDINAL")
    )
    topic = tuple(
        dict.fromkeys(
            t.lemma_.lower()
            for t in tokens
            if t.pos_ in {"NOUN", "PROPN", "VERB", "ADJ", "NUM"}
            and not t.is_stop
            and t.lemma_.lower() not in _AUXILIARIES
        )
    )
    leans = bool(history) and _leans_on_history(question, tokens)
    search = f"{question} ({history[-1][0]})" if leans else question
    return QuestionAnalysis(
        question=question,
        search=search,
        asked=asked,
        focus=focus,
        given=given,
        topic=topic,
        leans_on_history=leans,
        acted=acted,
        money=money,
        expected=expectation(question),
    )


def _asked(tokens: list) -> tuple[Asked, tuple[str, ...], bool, bool]:
    """(kind of answer, focus words, whether "who" asks who acted, whether money is asked)."""
    words = [t for t in tokens if t.pos_ != "PUNCT"]
    if not words:
        return Asked.OTHER, (), False, False
    lower = [t.lower_ for t in words]
    lemmas = {t.lemma_.lower() for t in words}
    start = 1 if lower[0] in {"and", "but", "so", "also"} and len(words) > 1 else 0
    first = lower[start]
    if first in _IMPERATIVE and words[start].tag_ == "VB":
        return _IMPERATIVE[first], (), False, False
    if any(w in {"compare", "difference", "differ", "versus", "vs"} for w in lower):
        return Asked.COMPARISON, (), False, False
    wh = next((i for i, t in enumerate(words) if t.tag_ in {"WP", "WP$", "WRB", "WDT"}), None)
    if wh is None:
        if first in _AUXILIARIES:
            return Asked.YES_NO, (), False, False
        return Asked.OTHER, (), False, False
    word = lower[wh]
    rest = words[wh + 1 :]
    if word in {"who", "whom", "whose"}:
        following = rest[0] if rest else None
        if (
            following is not None
            and following.lemma_ == "be"
            and all(t.ent_type_ == "PERSON" or t.is_punct for t in rest[1:])
            and len(rest) > 1
        ):
            return Asked.DESCRIPTION, (), False, False  # "Who is Ada Lovelace?"
        acted = (
            following is not None
            and following.pos_ in {"VERB", "AUX"}
            and (following.lemma_ not in {"be", "do"})
        )
        return Asked.PERSON, (), acted, False
    if word == "when":
        return Asked.DATE, (), False, False
    if word == "where":
        if lemmas & lexicon.words("position_verbs"):
            return Asked.OTHER, (), False, False  # "where does it rank?": a position
        return Asked.PLACE, (), False, False
    if word == "why":
        return Asked.REASON, (), False, False
    if word == "how":
        if not rest:
            return Asked.DESCRIPTION, (), False, False
        kind = _HOW.get(rest[0].lower_)
        if kind is None:
            return Asked.DESCRIPTION, (), False, False
        focus = _noun_phrase(rest[1:]) if kind is Asked.COUNT else ()
        if rest[0].lower_ == "long" and lemmas & lexicon.words("lasting_verbs"):
            kind = Asked.DURATION
        money = rest[0].lower_ == "much" and bool(lemmas & lexicon.words("money_verbs"))
        return kind, focus, False, money
    # what / which: "which <noun>" asks for one of that kind; "what is the <noun> of" too
    after = rest
    defined = bool(after) and after[0].lemma_ == "be"
    if defined:
        after = after[1:]
    focus = _noun_phrase(after)
    if focus and focus[-1].lower() in {"name", "names", "title"}:  # "the name of the king"
        of = next((i for i, t in enumerate(after) if t.lower_ == "of"), None)
        focus = _noun_phrase(after[of + 1 :]) if of is not None else focus
    if not focus:
        return Asked.DESCRIPTION, (), False, False
    head = focus[-1].lower()
    lemma = next((t.lemma_.lower() for t in after if t.lower_ == head), head)
    for kind in lexicon.lexicon()["focus"]:
        if lemma in lexicon.words("focus", kind):
            return Asked(kind), focus, False, kind == Asked.MONEY
    if defined and _ends_after(after, focus):
        return Asked.DESCRIPTION, focus, False, False  # "What is a checkpoint?"
    return Asked.NAME, focus, False, False


def _ends_after(tokens: Sequence, phrase: tuple[str, ...]) -> bool:
    """Nothing but punctuation follows the opening noun phrase."""
    words = [t for t in tokens if not t.is_punct and t.tag_ not in _DETERMINERS]
    return len(words) == len(phrase)


def _noun_phrase(tokens: Sequence) -> tuple[str, ...]:
    """The words of the noun phrase that opens `tokens` ("the maximum size", "Russian jets"),
    up to its head noun; () when they do not open with one."""
    phrase: list[str] = []
    for token in tokens:
        if token.tag_ in _DETERMINERS and not phrase:
            continue
        if token.tag_ in _MODIFIER_TAGS:
            phrase.append(token.text)
            continue
        break
    while phrase and phrase[-1].lower() in {"-"}:
        phrase.pop()
    nouns = [i for i, w in enumerate(phrase) if w[:1].isalnum()]
    return tuple(phrase[: nouns[-1] + 1]) if nouns else ()


def _leans_on_history(question: str, tokens: list) -> bool:
    """A follow-up ("And what does it cost?") continues, or refers with a pronoun and has too
    little of its own to be searched alone; a complete question asked second does not."""
    if _CONTINUES.match(question):
        return True
    own = [t for t in tokens if t.pos_ in {"NOUN", "PROPN"} or t.ent_type_]
    refers = any(t.lower_ in _PRONOUNS and t.pos_ in {"PRON", "DET", "ADV"} for t in tokens)
    return refers and len(own) < 3
