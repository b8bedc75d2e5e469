"""The real-document corpus (tests/data/realdocs): body recall and boilerplate leak per file.

Body recall: the share of the labelled body sentences (of four words or more) found whole in
what the chunks hold; leak: the share of the labelled boilerplate strings found in a chunk.
`python tests/realdocs.py` prints the table that README.md shows."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

REALDOCS = Path(__file__).resolve().parent / "data" / "realdocs"
LABELS = json.loads((REALDOCS / "labels.json").read_text(encoding="utf-8"))
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])")


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).replace("\xad", "").replace("¶", "")
    text = text.replace("↩\ufe0e", "").replace("↩", "")  # pandoc's footnote back-links
    return " ".join(text.split())


def sentences(paragraph: str) -> list[str]:
    return [s for s in _SENTENCE_BREAK.split(paragraph) if len(s.split()) >= 4]


@dataclass(frozen=True)
class Score:
    name: str
    kind: str
    body: int  # labelled body sentences
    found: int  # of them, whole in the chunks
    boilerplate: int
    leaked: int

    @property
    def recall(self) -> float:
        return self.found / self.body if self.body else 1.0

    @property
    def leak(self) -> float:
        return self.leaked / self.boilerplate if self.boilerplate else 0.0


def chunked_text(name: str) -> tuple[str, list]:
    """What the chunks of the file hold, normalised (the rest of its text blanked), and the
    chunks' (start, end, tokens)."""
    from index.chunking import ChunkSpec, chunk_spans
    from index.documents import read_document

    doc = read_document(name, REALDOCS / "files" / name)
    spans = [c for section in doc.sections for c in chunk_spans(doc.text, section, ChunkSpec())]
    covered = bytearray(len(doc.text))
    for start, end, _ in spans:
        covered[start:end] = b"\1" * (end - start)
    kept = "".join(c if covered[i] else " " for i, c in enumerate(doc.text))
    return normalise(kept), spans


def body_sentences(name: str) -> list[str]:
    return [normalise(s) for paragraph in LABELS[name]["body"] for s in sentences(paragraph)]


def score(name: str) -> Score:
    label = LABELS[name]
    whole, _ = chunked_text(name)
    body = body_sentences(name)
    chrome = [normalise(b) for b in label["boilerplate"]]
    return Score(
        name,
        label["kind"],
        len(body),
        sum(s in whole for s in body),
        len(chrome),
        sum(b in whole for b in chrome),
    )


def missed(name: str) -> list[str]:
    """The body sentences of a file that no chunk holds whole (for a failing test's message)."""
    whole, _ = chunked_text(name)
    return [s for s in body_sentences(name) if s not in whole]


def table(scores: list[Score]) -> str:
    rows = [
        "| file | kind | body sentences | recall | boilerplate strings | leaked |",
        "|---|---|---|---|---|---|",
    ]
    for s in scores:
        rows.append(
            f"| {s.name} | {s.kind} | {s.body} | {s.recall:.3f} | {s.boilerplate} | {s.leaked} |"
        )
    body, found = sum(s.body for s in scores), sum(s.found for s in scores)
    chrome, leaked = sum(s.boilerplate for s in scores), sum(s.leaked for s in scores)
    rows.append(
        f"| **all {len(scores)}** | | {body} | **{found / body:.3f}** | {chrome} | "
        f"**{leaked}** ({leaked / chrome:.1%}) |"
    )
    return "\n".join(rows)


if __name__ == "__main__":
    import index  # noqa: F401  (offline switches)

    print(table([score(name) for name in sorted(LABELS)]))
