"""The shape a cited answer must take, as a GBNF grammar (llama.cpp's constrained decoding):
one to three sentences of at most 240 characters, each followed by a marker naming one of the
passages given, or exactly the decline text. A model decoding under it cannot answer without
citing, nor cite a passage it was not given."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from rag.support import stopwords

_WORD = re.compile(r"[$€£]?\w+(?:[.,'’-]\w+)*%?")


_FREE_CLAIM = 'claim ::= [^\\[\\]\\n]{5,240} " [" n "]"\n'
_WORDED_CLAIM = (
    'claim ::= word (sep word){1,40} "."? " [" n "]"\nsep ::= " " | ", " | "; " | ": " | " - "\n'
)


@cache
def cited_gbnf(passages: int, not_found: str) -> str:
    return _gbnf(passages, not_found, _FREE_CLAIM)


def worded_gbnf(passages: int, not_found: str, vocabulary: frozenset[str]) -> str:
    """As `cited_gbnf`, but each claim is made of words of `vocabulary` (`evidence_words`): a
    model decoding under it may shorten, join and reorder what the evidence says, never bring
    in a word (a number, a name) that the evidence does not hold."""
    words = " | ".join(_literal(w) for w in sorted(vocabulary))
    return _gbnf(passages, not_found, _WORDED_CLAIM) + f"word ::= {words}\n"


def _gbnf(passages: int, not_found: str, claim: str) -> str:
    numbers = " | ".join(f'"{n}"' for n in range(1, max(passages, 1) + 1))
    return f'root ::= {_literal(not_found)} | claim (" " claim){{0,2}}\n{claim}n ::= {numbers}\n'


def evidence_words(texts: Iterable[str]) -> frozenset[str]:
    """The words of the evidence, as written and capitalised, and English function words."""
    found = {w for text in texts for w in _WORD.findall(text)}
    found |= {w.lower() for w in found} | set(stopwords())
    return frozenset(found | {w[:1].upper() + w[1:] for w in found})


def _literal(word: str) -> str:
    return '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'
