"""Sentence-aware chunking sized in tiktoken tokens, with exact character offsets.

A chunk is always one slice `text[start:end]` of its document, made of whole sentences of
one cleaned section; consecutive chunks share up to `overlap` tokens of whole sentences.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from functools import cache

from llama_index.core.schema import TextNode

from index import nlp
from index.documents import SourceDocument

ENCODING = "cl100k_base"
EMBED_METADATA = ("title",)  # the title rides along as context in the embedded text only


@dataclass(frozen=True)
class ChunkSpec:
    size: int = 192  # chosen on the dev set: see README, "Chunk size"
    overlap: int = 32

    def __post_init__(self) -> None:
        if self.size < 16 or not 0 <= self.overlap < self.size:
            raise ValueError(f"chunk size {self.size} / overlap {self.overlap} make no sense")


@cache
def _encoding():
    import tiktoken

    return tiktoken.get_encoding(ENCODING)


@cache
def _punkt():
    # Importing anything from nltk runs its package __init__, which loads all of nltk and, for
    # a collocation test we never use, scipy.stats: 0.4 s of every cold `rag ask`. nltk guards
    # that import, so scipy.stats is hidden while nltk loads (and importable again after).
    hide = "scipy.stats" not in sys.modules
    if hide:
        sys.modules["scipy.stats"] = None  # type: ignore[assignment]
    try:
        from nltk.tokenize import PunktSentenceTokenizer
    finally:
        if hide:
            del sys.modules["scipy.stats"]
    return PunktSentenceTokenizer()


def count_tokens(text: str) -> int:
    return len(_encoding().encode(text, disallowed_special=()))


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentences of text[start:end] as absolute spans; a line break always ends a sentence."""
    end = len(text) if end is None else end
    spans = []
    for line in re.finditer(r"[^\n]+", text[start:end]):
        base = start + line.start()
        for s, e in _punkt().span_tokenize(line.group()):
            piece = text[base + s : base + e]
            lead = len(piece) - len(piece.lstrip())
            if piece.strip():
                spans.append((base + s + lead, base + s + len(piece.rstrip())))
    return spans


def _fit(text: str, span: tuple[int, int], size: int) -> list[tuple[int, int, int]]:
    """(start, end, tokens) pieces of one sentence, cut at spaces when it exceeds `size`."""
    tokens = count_tokens(text[span[0] : span[1]])
    if tokens <= size:
        return [(*span, tokens)]
    pieces, start = [], span[0]
    words = [m.end() for m in re.finditer(r"\S+", text[span[0] : span[1]])]
    last = start
    for offset in words:
        stop = span[0] + offset
        if count_tokens(text[start:stop]) > size and last > start:
            pieces.append((start, last, count_tokens(text[start:last])))
            start = last + len(text[last:stop]) - len(text[last:stop].lstrip())
        last = stop
    pieces.append((start, span[1], count_tokens(text[start : span[1]])))
    return [cut for piece in pieces for cut in _cut_word(text, piece, size)]


def _cut_word(text: str, piece: tuple[int, int, int], size: int) -> list[tuple[int, int, int]]:
    """A piece still over `size` is one long word (a URL, a base64 image): cut it by length."""
    start, end, tokens = piece
    if tokens <= size:
        return [piece]
    cuts, step = [], max(1, (end - start) * size // tokens)
    while start < end:
        stop = min(end, start + step)
        while (n := count_tokens(text[start:stop])) > size and stop - start > 1:
            stop = start + (stop - start) * 9 // 10
        cuts.append((start, stop, n))
        start = stop
    return cuts


def chunk_spans(text: str, section: tuple[int, int], spec: ChunkSpec) -> list[tuple[int, int, int]]:
    """(start, end, tokens) of the chunks of one section."""
    units = [p for s in sentence_spans(text, *section) for p in _fit(text, s, spec.size)]
    chunks, first = [], 0
    while first < len(units):
        last, total = first, units[first][2]
        while last + 1 < len(units) and total + units[last + 1][2] <= spec.size:
            last += 1
            total += units[last][2]
        chunks.append((units[first][0], units[last][1], total))
        if last + 1 >= len(units):
            break
        next_first, shared = last + 1, 0
        while next_first - 1 > first and shared + units[next_first - 1][2] <= spec.overlap:
            next_first -= 1
            shared += units[next_first][2]
        first = next_first
    return chunks


def chunk_document(doc: SourceDocument, spec: ChunkSpec) -> list[TextNode]:
    """The document's chunks; each carries the named entities of its sentences, found once
    per sentence (chunks overlap, sentences are analysed once)."""
    spans = [c for section in doc.sections for c in chunk_spans(doc.text, section, spec)]
    sentences = [s for section in doc.sections for s in sentence_spans(doc.text, *section)]
    found = nlp.mentions(doc.text, sentences)
    nodes = []
    for i, (start, end, tokens) in enumerate(spans):
        metadata = {
            "doc_id": doc.doc_id,
            "title": doc.title,
            **{k: v for k, v in doc.metadata.items() if k != "title"},
            "start": start,
            "end": end,
            "chunk_index": i,
            "n_chunks": len(spans),
            "tokens": tokens,
            "content_hash": doc.content_hash,
            "entities": nlp.dump(m for m in found if start <= m.start and m.end <= end),
        }
        where = {"page": doc.layout.page_at(start), "section": doc.layout.heading_at(start)}
        metadata |= {k: v for k, v in where.items() if v is not None}
        nodes.append(
            TextNode(
                id_=chunk_id(doc.doc_id, i),
                text=doc.text[start:end],
                metadata=metadata,
                start_char_idx=start,
                end_char_idx=end,
                excluded_embed_metadata_keys=[k for k in metadata if k not in EMBED_METADATA],
                excluded_llm_metadata_keys=list(metadata),
            )
        )
    return nodes


def chunk_id(doc_id: str, index: int) -> str:
    return f"{doc_id}#{index}"
