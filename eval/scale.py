"""Deterministic synthetic corpora of about 1k, 10k and 100k chunks, made from the seeds.

How a corpus is made (same size, same seed: byte-identical files, on any machine):
1. the seeds are read and cleaned by the indexer's own code (`read_document`), and the body
   is split into sentences (`sentence_spans`); sentences of fewer than six words are dropped.
   This gives a pool of a few hundred real news sentences.
2. each synthetic document draws its own random generator from (seed, document number). It has
   a title line and paragraphs of 3-6 sentences sampled from the pool. In every document the
   seeds' named entities (countries, capitals, leaders, organisations) are renamed consistently
   to invented names drawn from a pool of 5,000 made from syllables (each entity keeps its own
   name with probability `KEEP_NAME`, so questions about the seeds still find matching terms
   at every size), and every number is
   replaced by a random one with the same number of digits: so no two documents are alike,
   the vocabulary grows with the corpus as a real one does (BM25 sees many distinct terms),
   and the text keeps the seeds' sentence shape and length, hence the seeds' token statistics.
3. documents have `SENTENCES_PER_DOC` sentences (about 20 chunks of 256 tokens each, like a
   long report); the number of documents is the target chunk count divided by the chunks per
   document measured by chunking the first documents with the indexer's own chunker.

`write_corpus` writes the files once into a folder named by size, seed and a hash of this
recipe, and re-uses them afterwards (a manifest records what was written).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from functools import cache
from pathlib import Path

from index.chunking import ChunkSpec, chunk_spans, sentence_spans
from index.cleaning import clean_text
from index.documents import discover, read_document

SIZES = {"1k": 1_000, "10k": 10_000, "100k": 100_000}
SENTENCES_PER_DOC = 130
KEEP_NAME = 0.3  # share of entities a document keeps, so seed questions still match terms
CALIBRATION_DOCS = 8
MIN_WORDS = 6
RECIPE_VERSION = "1"
ENTITIES = (
    "Iran",
    "Iranian",
    "Russia",
    "Russian",
    "Turkey",
    "Turkish",
    "Türkiye",
    "Azerbaijan",
    "Azerbaijani",
    "Armenia",
    "Armenian",
    "Tehran",
    "Moscow",
    "Ankara",
    "Baku",
    "Yerevan",
    "Putin",
    "Erdogan",
    "Erdoğan",
    "Pezeshkian",
    "Aliyev",
    "Raisi",
    "Araghchi",
    "Lavrov",
    "Fidan",
    "Caspian",
    "Caucasus",
    "Zangezur",
    "BRICS",
    "NATO",
    "Israel",
    "Syria",
    "Georgia",
    "Europe",
    "China",
)
_ENTITY = re.compile(r"\b(" + "|".join(sorted(ENTITIES, key=len, reverse=True)) + r")\b")
_NUMBER = re.compile(r"\d+")
_SYLLABLES = (
    "ka", "ve", "lor", "mi", "tan", "sar", "do", "rin", "bel", "qu", "zor", "ash", "nel",
    "tri", "vo", "han", "ul", "mar", "ek", "sol", "pra", "dun", "ith", "ga", "rov", "len",
)  # fmt: skip


def seed_sentences(seeds: Path) -> list[str]:
    """Body sentences of the cleaned seed documents, in a stable order."""
    sentences = []
    for doc_id, path in discover([seeds]):
        doc = read_document(doc_id, path)
        for start, end in doc.sections:
            for s, e in sentence_spans(doc.text, start, end):
                text = " ".join(doc.text[s:e].split())
                if len(text.split()) >= MIN_WORDS:
                    sentences.append(text)
    return list(dict.fromkeys(sentences))


@cache
def invented_names(seed: int, count: int = 5_000) -> tuple[str, ...]:
    rng = random.Random(f"names-{seed}")
    names: dict[str, None] = {}
    while len(names) < count:
        word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))
        names[word.capitalize()] = None
    return tuple(names)


def make_document(number: int, pool: list[str], seed: int, sentences: int) -> str:
    """Synthetic document `number`: a title and paragraphs of re-mixed, renamed seed sentences."""
    rng = random.Random(f"doc-{seed}-{number}")
    names = invented_names(seed)
    renamed: dict[str, str] = {}

    def rename(match: re.Match) -> str:
        if match.group(1) not in renamed:
            keep = rng.random() < KEEP_NAME
            renamed[match.group(1)] = match.group(1) if keep else rng.choice(names)
        return renamed[match.group(1)]

    def renumber(match: re.Match) -> str:
        digits = len(match.group())
        low = 10 ** (digits - 1) if digits > 1 else 0
        return str(rng.randint(low, 10**digits - 1))

    def vary(text: str) -> str:
        return _NUMBER.sub(renumber, _ENTITY.sub(rename, text))

    partner = rng.choice(["Russia", "Turkey", "Azerbaijan"])
    title = vary(f"Report {number}: Iran, {partner} and the region")
    paragraphs, left = [], sentences
    while left > 0:
        size = min(left, rng.randint(3, 6))
        paragraphs.append(" ".join(vary(rng.choice(pool)) for _ in range(size)))
        left -= size
    return title + "\n\n" + "\n\n".join(paragraphs) + "\n"


def chunks_per_document(pool: list[str], seed: int, spec: ChunkSpec) -> float:
    """Mean chunk count of the first documents, chunked exactly as the indexer will."""
    counts = []
    for number in range(CALIBRATION_DOCS):
        text = make_document(number, pool, seed, SENTENCES_PER_DOC)
        sections = clean_text(text).sections
        counts.append(sum(len(chunk_spans(text, section, spec)) for section in sections))
    return sum(counts) / len(counts)


def write_corpus(
    target_chunks: int, out_dir: Path, seeds: Path, seed: int = 0, spec: ChunkSpec | None = None
) -> Path:
    """The folder of a corpus of about `target_chunks` chunks, written on first use."""
    spec = spec or ChunkSpec()
    pool = seed_sentences(seeds)
    recipe = json.dumps(
        [RECIPE_VERSION, target_chunks, seed, SENTENCES_PER_DOC, spec.size, spec.overlap, pool]
    )
    digest = hashlib.sha256(recipe.encode()).hexdigest()[:12]
    folder = out_dir / f"synthetic-{target_chunks}-{seed}-{digest}"
    manifest = folder / "manifest.json"
    if manifest.is_file():
        return folder
    per_doc = chunks_per_document(pool, seed, spec)
    n_docs = max(1, round(target_chunks / per_doc))
    docs = folder / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    for number in range(n_docs):
        text = make_document(number, pool, seed, SENTENCES_PER_DOC)
        (docs / f"report-{number:06d}.txt").write_text(text, encoding="utf-8")
    manifest.write_text(
        json.dumps(
            {
                "target_chunks": target_chunks,
                "documents": n_docs,
                "chunks_per_document": per_doc,
                "seed": seed,
                "pool_sentences": len(pool),
            },
            indent=2,
        )
    )
    return folder


def corpus_docs(folder: Path) -> Path:
    return folder / "docs"
