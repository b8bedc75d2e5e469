"""How much of a document its chunks keep, and what cleaning removed and why: nothing is left
out without a word (`rag index` prints the figure, `rag index --explain FILE` the removals)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.chunking import sentence_spans
from index.cleaning import classify, words_in
from index.documents import SourceDocument

LOW_PROSE = 0.5  # a document keeping less of its prose than this is warned about
MAIN_CONTENT = "not the page's main content (trafilatura)"


@dataclass(frozen=True)
class Kept:
    """Characters (whitespace not counted), sentences, and sentences of prose (what cleaning
    calls prose: a sentence of a few words, not a headline, a menu or a notice) that reach a
    chunk, against all that the document holds."""

    chars: int
    total_chars: int
    sentences: int
    total_sentences: int
    prose: int
    total_prose: int

    @property
    def low(self) -> bool:
        return self.prose < LOW_PROSE * self.total_prose

    def figure(self) -> str:
        share = self.chars / self.total_chars if self.total_chars else 1.0
        return (
            f"kept {self.chars:,} of {self.total_chars:,} characters ({share:.0%}), "
            f"{self.sentences} of {self.total_sentences} sentences"
        )

    def warning(self) -> str:
        return (
            f"kept {self.prose} of its {self.total_prose} sentences of prose, less than half: "
            "see what was removed and why with `rag index --explain FILE`"
        )


def removals(doc: SourceDocument) -> list[tuple[str, str]]:
    """(rule, text) of every piece of the document that no chunk holds, in text order (for a
    web page: first what trafilatura did not take from it)."""
    gone = [(r.rule, doc.text[r.start : r.end]) for r in doc.removed]
    if not doc.page_text:
        return gone
    main = _normalised(doc.text)
    return [
        (MAIN_CONTENT, line.strip())
        for line in doc.page_text.splitlines()
        if line.strip() and _normalised(line) not in main
    ] + gone


def kept(doc: SourceDocument) -> Kept:
    kept_texts = [doc.text[s:e] for s, e in doc.sections]
    removed_texts = [text for _, text in removals(doc)]
    chars, total_chars = _chars(kept_texts), _chars(kept_texts + removed_texts)
    sentences, prose = _sentences(kept_texts)
    other_sentences, other_prose = _sentences(removed_texts)
    return Kept(
        chars,
        total_chars,
        sentences,
        sentences + other_sentences,
        prose,
        prose + other_prose,
    )


def _chars(texts: list[str]) -> int:
    return sum(len(re.sub(r"\s", "", text)) for text in texts)


def _sentences(texts: list[str]) -> tuple[int, int]:
    """(sentences, sentences of prose) in the texts."""
    spans = [text[s:e] for text in texts for s, e in sentence_spans(text)]
    return len(spans), sum(classify(s, words_in(s)).kind == "prose" for s in spans)


def _normalised(text: str) -> str:
    return " ".join(text.split())
