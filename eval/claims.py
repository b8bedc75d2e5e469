"""A labelled claim-quote set made by rule from a corpus, and the claim check's scores on it.

Right claims are corpus sentences restated (attribution dropped, first clause only, numbers
written out, "the two countries" named, adjectives for countries); wrong claims change one
thing a reader would care about (a name, a country, a number, the polarity) or put a sentence
on another sentence that shares its words. Each pair carries the quote's context (its title and
the two sentences before it), as the pipeline passes it.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from index.chunking import sentence_spans
from index.documents import discover, read_document

COUNTRIES = (
    "Iran", "Turkey", "Russia", "Azerbaijan", "Armenia", "Syria", "Israel", "Iraq", "China",
    "Ukraine", "Qatar", "Georgia", "Pakistan", "India", "Egypt", "Lebanon", "Jordan", "Yemen",
    "Kazakhstan", "Turkmenistan", "France", "Germany", "Japan", "Brazil", "Peru",
)  # fmt: skip
_ADJECTIVES = {"Iran's": "Iranian", "Russia's": "Russian", "Turkey's": "Turkish"}
_SMALL = {
    "2": "two", "3": "three", "4": "four", "5": "five", "6": "six", "7": "seven", "8": "eight",
    "9": "nine", "10": "ten", "12": "twelve", "20": "twenty",
}  # fmt: skip
_ATTRIBUTION = re.compile(
    r"^(?:Reports say that|According to [^,]{3,60},|[A-Z][\w.’' -]{2,60} "
    r"(?:said|says|noted|added|stated|emphasi[sz]ed|stressed) that)\s+"
)
_AUXILIARY = re.compile(r"\b(is|are|was|were|will|would|can|could|has|have|had|should|must)\b ")
_NEGATED = re.compile(r"\b(?:not|never|no)\b|n['’]t\b")
_REFERENCE = re.compile(r"\b(?:the two countries|both countries)\b", re.IGNORECASE)
_NUMBER = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)*(?![\w])")
_WORD = re.compile(r"[a-z]{4,}")


@dataclass(frozen=True)
class Pair:
    claim: str
    quote: str
    context: str
    supported: bool
    rule: str
    doc_id: str


@dataclass(frozen=True)
class _Sentence:
    doc_id: str
    text: str
    context: str


def corpus_sentences(corpus: Path) -> list[_Sentence]:
    """Body sentences of 8-60 words, each with its title and the two sentences before it."""
    found = []
    for doc_id, path in discover([corpus]):
        doc = read_document(doc_id, path)
        spans = [s for a, b in doc.sections for s in sentence_spans(doc.text, a, b)]
        texts = [doc.text[a:b] for a, b in spans]
        for i, text in enumerate(texts):
            if 8 <= len(text.split()) <= 60:
                found.append(
                    _Sentence(doc_id, text, " ".join([doc.title, *texts[max(0, i - 2) : i]]))
                )
    return found


def labelled_pairs(corpus: Path, seed: int = 0, per_rule: int = 40) -> list[Pair]:
    """Up to `per_rule` pairs of every rule, drawn with a fixed seed."""
    sentences = corpus_sentences(corpus)
    rng = random.Random(seed)
    pairs: list[Pair] = []
    for rule, make in _RULES.items():
        made = [p for s in sentences for p in make(s, sentences, rng)]
        rng.shuffle(made)
        pairs.extend(
            Pair(p[0], p[1], p[2], rule.startswith("right"), rule, p[3]) for p in made[:per_rule]
        )
    return pairs


def written_pairs(path: Path, corpus: Path) -> list[Pair]:
    """Claims written by hand (JSON Lines: claim, quote, doc_id, supported): paraphrases a model
    would write, and wrong claims that reuse the quote's words."""
    contexts = {(s.doc_id, s.text): s.context for s in corpus_sentences(corpus)}
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        rule = "right: paraphrased by hand" if row["supported"] else "wrong: written by hand"
        context = contexts[(row["doc_id"], row["quote"])]
        pairs.append(
            Pair(row["claim"], row["quote"], context, row["supported"], rule, row["doc_id"])
        )
    return pairs


Made = Iterator[tuple[str, str, str, str]]  # claim, quote, context, doc_id


def _same(s: _Sentence, claim: str) -> Made:
    if claim != s.text:
        yield claim, s.text, s.context, s.doc_id


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def right_attribution_dropped(s: _Sentence, _: list[_Sentence], __: random.Random) -> Made:
    yield from _same(s, _capital(_ATTRIBUTION.sub("", s.text)))


def right_first_clause(s: _Sentence, _: list[_Sentence], __: random.Random) -> Made:
    first = s.text.split(", ")[0].rstrip(".") + "."
    if len(first.split()) >= 6 and not first.lower().startswith(("but", "although", "while")):
        yield from _same(s, first)


def right_numbers_in_words(s: _Sentence, _: list[_Sentence], __: random.Random) -> Made:
    claim = _NUMBER.sub(lambda m: _SMALL.get(m.group(), m.group()), s.text)
    yield from _same(s, claim)


def right_countries_as_adjectives(s: _Sentence, _: list[_Sentence], __: random.Random) -> Made:
    claim = s.text
    for possessive, adjective in _ADJECTIVES.items():
        claim = claim.replace(possessive, adjective)
    yield from _same(s, claim)


def right_reference_named(s: _Sentence, _: list[_Sentence], __: random.Random) -> Made:
    named = [c for c in COUNTRIES if re.search(rf"\b{c}\b", s.context)][:2]
    if len(named) == 2 and _REFERENCE.search(s.text):
        yield from _same(s, _REFERENCE.sub(" and ".join(named), s.text, count=1))


def wrong_country_swapped(s: _Sentence, _: list[_Sentence], rng: random.Random) -> Made:
    present = [c for c in COUNTRIES if re.search(rf"\b{c}\b", s.text)]
    absent = [c for c in COUNTRIES if c not in s.text and c not in s.context]
    if present and absent:
        yield (
            re.sub(rf"\b{rng.choice(present)}\b", rng.choice(absent), s.text, count=1),
            s.text,
            s.context,
            s.doc_id,
        )


def wrong_name_swapped(s: _Sentence, sentences: list[_Sentence], rng: random.Random) -> Made:
    """A person or place named elsewhere in the corpus in place of one named here."""
    names = re.findall(r"(?<=[a-z,] )[A-Z][a-z]{3,}(?: [A-Z][a-z]{3,})?", s.text)
    others = sorted(
        {
            n
            for o in sentences
            for n in re.findall(r"(?<=[a-z,] )[A-Z][a-z]{3,} [A-Z][a-z]{3,}", o.text)
        }
        - set(names)
    )
    names = [n for n in names if n not in COUNTRIES]
    if names and others:
        claim = s.text.replace(rng.choice(names), rng.choice(others), 1)
        if claim != s.text and not any(
            w in s.context for w in claim.split() if w[:1].isupper() and w not in s.text
        ):
            yield claim, s.text, s.context, s.doc_id


def wrong_number_changed(s: _Sentence, _: list[_Sentence], rng: random.Random) -> Made:
    numbers = _NUMBER.findall(s.text)
    if numbers:
        number = rng.choice(numbers)
        digits = number.replace(",", "")
        value = float(digits) if "." in digits else int(digits)
        changed = value + 3 if 1900 <= value <= 2100 else value * 2 + 1
        new = f"{changed:g}" if isinstance(changed, float) else str(changed)
        yield (
            _NUMBER.sub(lambda m: new if m.group() == number else m.group(), s.text, count=0),
            s.text,
            s.context,
            s.doc_id,
        )


def wrong_negated(s: _Sentence, _: list[_Sentence], __: random.Random) -> Made:
    if _NEGATED.search(s.text):
        claim = re.sub(r"\b(?:not|never) ", "", s.text, count=1)
        claim = re.sub(r"n['’]t\b", "", claim, count=1) if claim == s.text else claim
    elif match := _AUXILIARY.search(s.text):
        claim = s.text[: match.end()] + "not " + s.text[match.end() :]
    else:
        return
    yield from _same(s, claim)


def wrong_moved(s: _Sentence, sentences: list[_Sentence], _: random.Random) -> Made:
    """This sentence, cited with the other sentence that shares most of its words."""
    mine = Counter(_WORD.findall(s.text.lower()))
    best, shared = None, 2
    for other in sentences:
        if other.text == s.text or other.text in s.text or s.text in other.text:
            continue
        common = sum((mine & Counter(_WORD.findall(other.text.lower()))).values())
        if common > shared:
            best, shared = other, common
    if best is not None:
        yield s.text, best.text, best.context, best.doc_id


def wrong_reference_misnamed(s: _Sentence, _: list[_Sentence], rng: random.Random) -> Made:
    named = [c for c in COUNTRIES if re.search(rf"\b{c}\b", s.context)]
    absent = [c for c in COUNTRIES if c not in s.context and c not in s.text]
    if named and absent and _REFERENCE.search(s.text):
        pair = f"{named[0]} and {rng.choice(absent)}"
        yield _REFERENCE.sub(pair, s.text, count=1), s.text, s.context, s.doc_id


_RULES: dict[str, Callable[[_Sentence, list[_Sentence], random.Random], Made]] = {
    "right: attribution dropped": right_attribution_dropped,
    "right: first clause": right_first_clause,
    "right: numbers in words": right_numbers_in_words,
    "right: countries as adjectives": right_countries_as_adjectives,
    "right: reference named": right_reference_named,
    "wrong: country swapped": wrong_country_swapped,
    "wrong: name swapped": wrong_name_swapped,
    "wrong: number changed": wrong_number_changed,
    "wrong: negated": wrong_negated,
    "wrong: moved to a sentence sharing words": wrong_moved,
    "wrong: reference misnamed": wrong_reference_misnamed,
}


@dataclass(frozen=True)
class Scores:
    by_rule: dict[str, tuple[int, int]]  # rule -> (pairs judged as labelled, pairs)
    wrong_flagged: float  # share of wrong claims the check refuses
    right_kept: float  # share of right claims the check accepts

    def table(self) -> str:
        lines = ["| rule | pairs | judged as labelled |", "|---|---|---|"]
        lines += [f"| {r} | {n} | {ok / n:.3f} |" for r, (ok, n) in self.by_rule.items() if n]
        flagged, kept = self.wrong_flagged, self.right_kept
        lines.append(f"\nwrong claims flagged: {flagged:.3f}; right claims kept: {kept:.3f}")
        return "\n".join(lines)


def score(pairs: list[Pair], supports: Callable[[Pair], bool]) -> Scores:
    by_rule: dict[str, list[int]] = {}
    for pair in pairs:
        counts = by_rule.setdefault(pair.rule, [0, 0])
        counts[0] += supports(pair) == pair.supported
        counts[1] += 1
    right = [c for r, c in by_rule.items() if r.startswith("right")]
    wrong = [c for r, c in by_rule.items() if r.startswith("wrong")]
    return Scores(
        {r: (ok, n) for r, (ok, n) in by_rule.items()},
        sum(ok for ok, _ in wrong) / max(1, sum(n for _, n in wrong)),
        sum(ok for ok, _ in right) / max(1, sum(n for _, n in right)),
    )
