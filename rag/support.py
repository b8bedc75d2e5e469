"""Which passage sentence supports each answer sentence, and exact-quote verification.

Support is scored per (answer sentence, passage sentence) pair as a blend of lexical overlap
(content words, weighted by rarity among the passages) and, for generated text, embedding
similarity of the best lexical candidates. The model's own [n] markers win when the passage
they name holds a sentence above the threshold; otherwise the best sentence anywhere does.
"""

from __future__ import annotations

import math
import re
from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from threading import Lock

from index.chunking import sentence_spans
from index.offline import llama_index_static
from rag.types import Passage

_TOKEN = re.compile(r"[\w$€£%]+(?:[.,'’][\w]+)*", re.UNICODE)
_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.]{0,40}\b(?:instructions?|prompts?|rules|"
    r"passages|context)\b|\b(?:instructions?|message|note) (?:to|for) (?:the |any )?(?:ai|"
    r"assistant|model|chatbot|llm)\b|\byou are (?:now )?(?:an? )?(?:ai|assistant|language model)\b|"
    r"\bsystem prompt\b",
    re.IGNORECASE,
)
_LEADING_MARKERS = re.compile(r"(?:\s*\[\s*\d{1,3}(?:\s*,\s*\d{1,3})*\s*\])+\s*")
_MARKER = re.compile(r"\s*\[\s*(\d{1,3}(?:\s*,\s*\d{1,3})*)\s*\]")  # [1], [ 2 ], [1, 3]

# Reporting verbs carry no content in news text; the rest is NLTK's English list, shipped
# inside llama-index-core. It is read as a plain file: NLTK's reader refuses hard-linked files,
# and installers such as uv hard-link packages from their cache.
_REPORTING = frozenset({"say", "says", "said", "according", "also", "per"})


@cache
def stopwords() -> frozenset[str]:
    static = llama_index_static()
    listed = (static / "nltk_cache/corpora/stopwords/english").read_text() if static else ""
    return frozenset(listed.split()) | _REPORTING


@dataclass(frozen=True)
class SourceSentence:
    passage: Passage
    start: int  # absolute offsets in the document's source text
    end: int
    text: str


@dataclass(frozen=True)
class Support:
    sentence: SourceSentence
    score: float


def words(text: str) -> list[str]:
    return [_stem(w) for w in _TOKEN.findall(text.lower()) if w not in stopwords()]


@cache
def _stem(word: str) -> str:
    """One form for "estimate", "estimated" and "estimates": plural, -ing and -ed endings go,
    and so does a final silent e that such an ending drops."""
    for suffix in ("ies", "es", "s", "ing", "ed"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word[:-1] if len(word) > 4 and word.endswith("e") else word


def strip_markers(text: str) -> tuple[str, list[int]]:
    return _MARKER.sub("", text).strip(), [
        int(n) for m in _MARKER.findall(text) for n in m.split(",")
    ]


def split_answer(text: str) -> list[str]:
    """Answer text into sentences, each keeping the [n] markers that follow it."""
    text = re.sub(r"\s*(\[\d{1,3}\])\s*([.!?])", r"\2 \1", text)  # "claim [1]." -> "claim. [1]"
    pieces = [text[s:e] for s, e in sentence_spans(text)]
    sentences: list[str] = []
    for piece in pieces:
        # markers the splitter put at the start of a sentence belong to the one before
        lead = _LEADING_MARKERS.match(piece)
        if sentences and lead:
            sentences[-1] += " " + lead.group().strip()
            piece = piece[lead.end() :]
        if piece.strip():
            sentences.append(piece)
    return sentences


def passage_sentences(passages: Sequence[Passage]) -> list[SourceSentence]:
    """The sentences of each passage, with offsets in the passage's source document; a
    sentence that instructs an AI (a prompt injection planted in a document) is left out:
    no answer rests on it, however well it matches."""
    found = []
    for passage in passages:
        for start, end in sentence_spans(passage.text):
            text = passage.text[start:end]
            if not _INSTRUCTION.search(text):
                found.append(
                    SourceSentence(passage, passage.start + start, passage.start + end, text)
                )
    return found


class SupportScorer:
    """Scores how well passage sentences support a piece of text."""

    def __init__(
        self,
        sentences: Sequence[SourceSentence],
        embed: Callable[[list[str]], list[list[float]]] | None = None,
    ):
        self.sentences = list(sentences)
        self.embed = embed
        self._words = [Counter(words(s.text)) for s in self.sentences]
        df = Counter(w for counts in self._words for w in counts)
        n = max(len(self._words), 1)
        self._idf = {w: math.log(1 + n / c) for w, c in df.items()}

    def idf(self, word: str) -> float:
        return self._idf.get(word, math.log(1 + max(len(self._words), 1)))

    def lexical(self, text: str, index: int) -> float:
        """Share of the text's content-word weight found in the sentence (0..1)."""
        query = set(words(text))
        if not query:
            return 0.0
        total = sum(self.idf(w) for w in query)
        return sum(self.idf(w) for w in query if w in self._words[index]) / total

    def rank(
        self, text: str, among: Sequence[int] | None = None, shortlist: int = 8
    ) -> list[Support]:
        """Sentences best supporting `text`, best first: the lexical shortlist, re-ranked by
        the blend of lexical and embedding similarity when an embedder is available."""
        among = range(len(self.sentences)) if among is None else among
        lexical = sorted(((self.lexical(text, i), i) for i in among), reverse=True)[:shortlist]
        if self.embed is None or not lexical or lexical[0][0] >= 0.95:
            return [Support(self.sentences[i], score) for score, i in lexical]
        vectors = self.embed([text] + [self.sentences[i].text for _, i in lexical])
        query = vectors[0]
        blended = [
            (0.5 * lex + 0.5 * max(0.0, _dot(query, vector)), i)
            for (lex, i), vector in zip(lexical, vectors[1:], strict=True)
        ]
        return [Support(self.sentences[i], score) for score, i in sorted(blended, reverse=True)]


class EmbeddingCache:
    """Remembers sentence embeddings across questions (passages recur in a conversation)."""

    def __init__(self, embed: Callable[[list[str]], list[list[float]]], size: int = 8192) -> None:
        self._embed = embed
        self._size = size
        self._vectors: OrderedDict[str, list[float]] = OrderedDict()
        self._lock = Lock()

    def __call__(self, texts: list[str]) -> list[list[float]]:
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if missing:
            fresh = self._embed(missing)
            with self._lock:
                self._vectors.update(zip(missing, fresh, strict=True))
                while len(self._vectors) > self._size:
                    self._vectors.popitem(last=False)
        with self._lock:
            return [self._vectors.get(t) or self._embed([t])[0] for t in texts]


def _dot(a: Sequence[float], b: Sequence[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))
