"""Does a quote support a claim? The check a wrong claim must not pass.

A claim is supported by a quote only when
- every number in the claim is in the quote (digits or words: 3 = three; magnitudes such as
  "billion" must match too),
- every name in the claim is in the quote (Iran = Iranian, Turkey = Türkiye = Turkish), or, when
  the quote refers to it ("the two countries", "both sides", "it"), in the quote's own document
  just before the quote,
- the claim and the quote agree in polarity (a negation in one and not in the other fails),
- enough of the claim's other content words are in the quote (`min_coverage`).

It is deliberately lexical and explainable: every refusal says which rule failed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from itertools import pairwise

import pycountry
import Stemmer
from number_parser.data import en as _english_numbers

from rag import lexicon
from rag.support import stopwords

_WORD = re.compile(r"[A-Za-zÀ-ÿ]+(?:['’][A-Za-z]+)?|\d[\d,]*(?:\.\d+)?")
# English number words from number-parser's data; "one" is left out ("one of the allies" is
# rarely a count), "dozen" and "hundred" are counts too.
NUMBER_WORDS: dict[str, int] = {
    word: value
    for table in ("UNIT_NUMBERS", "DIRECT_NUMBERS", "TENS")
    for word, value in _english_numbers.info[table].items()
    if word != "one"
} | {"hundred": 100, "dozen": 12}
_MAGNITUDES = {"thousand", "million", "billion", "trillion", "thousands", "millions", "billions"}
_UNIT_TOKEN = re.compile(rf"{_WORD.pattern}|[%$€]")
_NEGATION = re.compile(
    r"\b(?:not|no|never|none|neither|nor|without|cannot|nothing|nobody|lack(?:s|ed)?|"
    r"fail(?:s|ed)? to|refus(?:e|es|ed) to|den(?:y|ies|ied))\b|n['’]t\b",
    re.IGNORECASE,
)
_GENERIC_PLACE_WORDS = {
    "republic", "islamic", "democratic", "people's", "federation", "kingdom", "united", "states",
    "islands", "island", "saint", "territory", "territories", "federated", "plurinational",
    "province", "great", "north", "south", "northern", "southern", "east", "west", "western",
    "eastern", "central", "holy", "outlying", "minor", "part", "french", "british", "dutch",
    "american", "virgin", "arab", "emirates", "bolivarian", "sint", "state",
}  # fmt: skip
_REFERRING = re.compile(
    r"\b(?:the two|both|the (?:country|countries|nation|nations|state|states|side|sides|"
    r"partners?|leaders?|governments?|president|minister|capital|company|group|bloc|region)|"
    r"they|their|them|it|its|he|his|she|her|this|these)\b",
    re.IGNORECASE,
)
_SUFFIXES = ("ians", "ian", "ans", "an", "ese", "ish", "is", "i", "n", "ey", "es", "s", "a", "y")
_MONTHS = {
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
}  # fmt: skip


@dataclass(frozen=True)
class ClaimCheck:
    supported: bool
    coverage: float  # share of the claim's other content words found in the quote
    reason: str = ""  # why not, for logs and the labelled-set report


@dataclass(frozen=True)
class Claim:
    """What a claim asserts, extracted once and checked against any number of quotes."""

    text: str
    numbers: frozenset[float]
    magnitudes: frozenset[str]
    names: tuple[str, ...]
    content: frozenset[str]
    negated: frozenset[str]  # the words a negation applies to ("not a rival" -> rival)


def parse(text: str) -> Claim:
    tokens = _WORD.findall(text)
    names = tuple(names_in(text))
    name_set = {word.lower() for n in names for word in n.split()}
    content = frozenset(
        stem(t.lower())
        for t in tokens
        if t.lower() not in stopwords()
        and t.lower() not in name_set
        and _number(t) is None
        and t.lower() not in _MAGNITUDES
        and len(t) > 1
    )
    return Claim(
        text=text,
        numbers=frozenset(n for t in tokens if (n := _number(t)) is not None),
        magnitudes=frozenset(_magnitude(t) for t in tokens if t.lower() in _MAGNITUDES),
        names=names,
        content=content,
        negated=_negated_heads(text),
    )


def check(
    claim: Claim | str, quote: str, context: str = "", min_coverage: float = 0.5
) -> ClaimCheck:
    """Whether `quote` supports `claim`; `context` is the quote's document before the quote
    (its title and preceding sentences), where references such as "the two countries" point."""
    claim = parse(claim) if isinstance(claim, str) else claim
    tokens = _WORD.findall(quote)
    coverage = _coverage(claim, tokens)
    quoted = {n for t in tokens if (n := _number(t)) is not None} | _decades_in_years(quote)
    if missing := sorted(claim.numbers - quoted):
        return ClaimCheck(False, coverage, f"number {_show(missing[0])} not in the quote")
    magnitudes = {_magnitude(t) for t in tokens if t.lower() in _MAGNITUDES}
    if missing_magnitudes := sorted(claim.magnitudes - magnitudes):
        return ClaimCheck(False, coverage, f"{missing_magnitudes[0]} not in the quote")
    keys = _keys_of(_words(quote))
    absent = [n for n in claim.names if not _name_keys(n) & keys]
    if absent and _REFERRING.search(quote):
        around = _keys_of(_words(context))
        absent = [n for n in absent if not _name_keys(n) & around]
    if absent:
        return ClaimCheck(False, coverage, f"{absent[0]} not in the quote")
    if swapped := swapped_actor(claim.text, quote):
        return ClaimCheck(False, coverage, swapped)
    if missing_units := sorted(_units(claim.text) - _units(quote)):
        return ClaimCheck(False, coverage, f"unit {missing_units[0]} not in the quote")
    quote_words = {t.lower() for t in tokens}
    claim_words = {t.lower() for t in _WORD.findall(claim.text)}
    for word in sorted(claim_words):
        opposite = _opposites().get(word)
        if opposite in quote_words and word not in quote_words and opposite not in claim_words:
            return ClaimCheck(False, coverage, f"{word!r} where the quote says {opposite!r}")
    quote_negated = _negated_heads(quote)
    if claim.negated - quote_negated or (quote_negated & claim.content) - claim.negated:
        return ClaimCheck(False, coverage, "negated in one and not the other")
    if coverage < min_coverage:
        return ClaimCheck(False, coverage, f"only {coverage:.0%} of the claim is in the quote")
    return ClaimCheck(True, coverage)


def has_number(text: str) -> bool:
    """Whether the text holds a number, in digits or words ("200", "three", "hundreds")."""
    return any(
        _number(t) is not None or t.lower() in _MAGNITUDES | {"hundreds", "dozens"}
        for t in _WORD.findall(text)
    )


def names_in(text: str) -> list[str]:
    """The names a text mentions (people, places, organisations, months), once each; a
    country named in several words is one name ("United States")."""
    found = list(dict.fromkeys(_name_tokens(_undotted(text))))
    words = _words(text)
    places = [
        phrase
        for size in (3, 2)
        for i in range(len(words) - size + 1)
        if " ".join(phrase := words[i : i + size]).lower() in _place_names()
        and all(w in found for w in phrase)
    ]
    parts = {w for phrase in places for w in phrase}
    return [n for n in found if n not in parts] + list(dict.fromkeys(map(" ".join, places)))


def unmentioned_names(text: str, passages: list[str]) -> list[str]:
    """Names in `text` that none of `passages` mentions in any spelling."""
    return unmentioned(names_in(text), passages)


def unmentioned(names: Sequence[str], passages: list[str]) -> list[str]:
    """The `names` (single words) that none of `passages` mentions in any spelling."""
    keys = _keys_of([t for passage in passages for t in _words(passage)])
    return [name for name in names if not _name_keys(name) & keys]


def mentions(name: str, text: str) -> int:
    """How many words of `text` are the name `name`, in any spelling."""
    keys = _name_keys(name)
    return sum(bool(_name_keys(t) & keys) for t in _WORD.findall(text))


def name_words(text: str) -> list[str]:
    """The words of a name that identify it ("Ada Lovelace" -> Ada, Lovelace); a country's
    name of several words stays whole ("the United States": it is also "the U.S.")."""
    words = [w.removesuffix("'s").removesuffix("’s") for w in _WORD.findall(text)]
    whole = " ".join(w for w in words if w.lower() not in stopwords())
    if " " in whole and whole.lower() in _place_names():
        return [whole]
    return [w for w in words if w[0].isupper() and w.lower() not in stopwords()]


def antecedents(question: str, quote: str, source: str, start: int, window: int = 60) -> list[str]:
    """Where the quote speaks of "the bridge" that the question calls "the Astarachay bridge",
    the words around the bridge's introduction in the document before the quote (its last
    mention there that is not itself "the bridge"): the one the quote refers to, named."""
    found = []
    for head in {after.lower() for _, after in _actors(question)}:
        noun = rf"\b{re.escape(head)}\b"
        if not re.search(rf"\b(?:the|this|that) {noun}", quote, re.IGNORECASE):
            continue
        for mention in reversed(list(re.finditer(noun, source[:start], re.IGNORECASE))):
            before = source[max(0, mention.start() - 6) : mention.start()]  # not the prefix
            if not re.search(r"(?:^|\W)(?:the|this|that) $", before, re.IGNORECASE):
                found.append(source[max(0, mention.start() - window) : mention.end() + window])
                break
    return found


def swapped_actor(text: str, quote: str, owners_only: bool = False) -> str:
    """A name put in another's place: the claim says "Iran declared" where the quote says
    "Azerbaijan declared" (both names may be in the quote's sentence). With `owners_only`,
    only the text's possessives count: a question asking for "Turkey's ambassador" is not
    answered by "Tehran's ambassador", while "Which Lebanese militia?" is by "Hezbollah militia"."""
    said = _actors(quote)
    for name, word in _actors(text):
        if owners_only and not name.endswith(("'s", "’s")):
            continue
        others = [n for n, w in said if stem(w.lower()) == stem(word.lower())]
        if others and not any(_name_keys(name) & _name_keys(n) for n in others):
            return f"the quote says {others[0]} {word}, not {name} {word}"
    return ""


def _actors(text: str) -> list[tuple[str, str]]:
    """(name, the word right after it) for each name followed by a lower-case word."""
    tokens = _WORD.findall(text)
    names = set(names_in(text))
    return [
        (token, after)
        for token, after in pairwise(tokens)
        if token.removesuffix("'s").removesuffix("’s") in names
        and after[0].islower()
        and after.lower() not in stopwords()
    ]


def _coverage(claim: Claim, quote_tokens: list[str]) -> float:
    if not claim.content:
        return 1.0
    quoted = {stem(t.lower()) for t in quote_tokens}
    return len(claim.content & quoted) / len(claim.content)


def _units(text: str) -> set[str]:
    """Units that follow a number ("200 km", "three decades", "two-year", "65%") or precede
    one ("$19.4")."""
    tokens = _UNIT_TOKEN.findall(text)
    found = set()
    for i, token in enumerate(tokens):
        if token in "$€" and i + 1 < len(tokens) and _number(tokens[i + 1]) is not None:
            found.add(_unit_names()[token])
        elif _number(token) is not None and i + 1 < len(tokens):
            found.add(_unit_names().get(tokens[i + 1].lower(), ""))
    found.discard("")
    return found


def _decades_in_years(text: str) -> set[float]:
    """ "three decades" also says 30 years."""
    return {
        n * 10
        for m in re.finditer(r"(\S+)\s+decades?\b", text, re.IGNORECASE)
        if (n := _number(m.group(1))) is not None
    }


def _negated_heads(text: str) -> frozenset[str]:
    """The first content word after each negation: what is denied."""
    heads = set()
    for match in _NEGATION.finditer(text):
        following = _WORD.findall(text[match.end() : match.end() + 80])
        content = [w for w in following if w.lower() not in stopwords() and _number(w) is None]
        if content:
            heads.add(stem(content[0].lower()))
    return frozenset(heads)


def _name_tokens(text: str) -> list[str]:
    """Capitalised words and acronyms that are not merely first in a sentence, plus any word
    known as a place or people; months count (a date is checked like a name)."""
    found = []
    for match in _WORD.finditer(text):
        word = match.group()
        if not word[0].isupper():
            continue
        lower = word.lower().removesuffix("'s").removesuffix("’s")
        before = text[: match.start()].rstrip()
        first = not before or before[-1] in '.!?:"“‘(['
        if lower in stopwords() and not word.isupper():
            continue
        if first and not is_place(lower) and lower not in _MONTHS and not word.isupper():
            continue
        found.append(word.removesuffix("'s").removesuffix("’s"))
    return found


def is_month(name: str) -> bool:
    return name.lower() in _MONTHS


def is_place(name: str) -> bool:
    """A country, a people or a capital standing for its country (Iran, Iranian, Tehran)."""
    aliases = _place_aliases()
    return bool(_name_keys(name) & (set(aliases) | set(aliases.values()) | _country_words()))


def is_country(name: str) -> bool:
    """A country's own name ("Turkey", "the United States"), not its people or capital."""
    lower = re.sub(r"^the\s+", "", name.strip().lower())
    return lower in _place_names() or lower in _country_words()


@cache
def _unit_names() -> dict[str, str]:
    """Word -> the unit it names: a claim's unit must be its quote's (200 miles is not 200 km).
    From the lexicon (`rag/data/lexicon.json`, extended by RAG_LEXICON)."""
    return {w.lower(): unit for unit, names in lexicon.lexicon()["units"].items() for w in names}


@cache
def _opposites() -> dict[str, str]:
    """Opposites a restatement must not swap (the quote has one, the claim the other)."""
    pairs = lexicon.lexicon()["opposites"]
    return {a.lower(): b.lower() for pair in pairs for a, b in (pair, pair[::-1])}


@cache
def _place_aliases() -> dict[str, str]:
    """Other one-word names of each country, to its own name: its people (demonym), its
    capital (news says "Ankara" for Turkey), other and native spellings; from the countryinfo
    package's data (MIT). Two- and three-letter codes count only in capitals ("US", not "us")."""
    found: dict[str, str] = {}
    folder = resources.files("countryinfo") / "data"
    for entry in folder.iterdir():
        if not entry.name.endswith(".json"):
            continue
        country = json.loads(entry.read_text(encoding="utf-8"))
        name = str(country.get("name", "")).lower()
        if not name:
            continue
        others = [
            country.get("demonym"),
            country.get("nativeName"),
            *country.get("altSpellings", []),
        ]
        capital = str(country.get("capital") or "")
        others += [w for w in re.findall(r"[A-Za-zÀ-ÿ]{4,}", capital)]
        for other in others:
            other = str(other or "").strip()
            if not other or " " in other or not re.fullmatch(r"[A-Za-zÀ-ÿ'.-]+", other):
                continue
            key = other if len(other) <= 3 and other.isupper() else other.lower()
            if len(key) > 3 or key.isupper():
                found.setdefault(key, name)
    return found


@cache
def _country_words() -> frozenset[str]:
    """Distinctive words of the world's country names (ISO 3166, from pycountry)."""
    names = (
        getattr(country, attribute, "")
        for country in pycountry.countries
        for attribute in ("name", "common_name")
    )
    words = {w.lower() for name in names for w in re.findall(r"[A-Za-zÀ-ÿ']{4,}", name)}
    return frozenset(words - _GENERIC_PLACE_WORDS)


@cache
def _name_keys(word: str) -> frozenset[str]:
    """Spellings of a name reduced to shared keys: Iranian -> iran, Turkish -> turk(ey)."""
    bare = word.replace(".", "").removesuffix("'s").removesuffix("’s")
    lower = bare.lower()
    if " " in lower:  # a country's name of several words
        return frozenset({lower})
    aliases = _place_aliases()
    code = bare.isupper() and 2 <= len(bare) <= 3  # "US", "UK": a code, only in capitals
    keys = {bare if code else lower}
    if code and bare in aliases:
        keys.add(aliases[bare])
    for suffix in _SUFFIXES:
        if lower.endswith(suffix) and len(lower) - len(suffix) >= 4:
            keys.add(lower[: -len(suffix)])
    for key in list(keys):
        if key in aliases:
            keys.add(aliases[key])
    return frozenset(keys)


def _words(text: str) -> list[str]:
    """The words of a text, an acronym written with dots as one ("U.S." -> "US")."""
    return _WORD.findall(_undotted(text))


def _undotted(text: str) -> str:
    return _DOTTED.sub(lambda m: m.group().replace(".", ""), text)


_DOTTED = re.compile(r"\b[A-Z](?:\.[A-Z])+\b\.?")


def _keys_of(tokens: list[str]) -> set[str]:
    """The name keys of the tokens, and of the countries they name in several words."""
    keys = {key for t in tokens for key in _name_keys(t)}
    lower = [t.lower() for t in tokens]
    for size in (2, 3):
        for i in range(len(lower) - size + 1):
            if (phrase := " ".join(lower[i : i + size])) in _place_names():
                keys.add(phrase)
    return keys


@cache
def _place_names() -> frozenset[str]:
    """The countries' own names, lower case (what their other names point to)."""
    return frozenset(_place_aliases().values())


def _number(token: str) -> float | None:
    lower = token.lower()
    if lower in NUMBER_WORDS:
        return float(NUMBER_WORDS[lower])
    if token[0].isdigit():
        try:
            return float(token.replace(",", ""))
        except ValueError:
            return None
    return None


def _magnitude(token: str) -> str:
    return token.lower().removesuffix("s")


def _show(number: float) -> str:
    return f"{number:g}"


@cache
def stem(word: str) -> str:
    return _stemmer().stemWord(word)


def word_key(word: str) -> str:
    """A word reduced for matching: a unit to its kind (kilometres = km), else its stem."""
    lower = word.lower()
    return _unit_names().get(lower) or stem(lower)


@cache
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")
