"""A BEIR folder (`corpus.jsonl`, `queries.jsonl`, `qrels/<split>.tsv`) as a corpus folder of
text files plus a retrieval question set, so the retriever is scored on a public layout:
`rag beir-import DIR --out OUT`, then `rag index OUT/corpus` and `rag eval OUT/questions.jsonl
--corpus OUT/corpus`."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


class BeirError(ValueError):
    """A folder that is not in BEIR's layout; the message says what is missing or wrong."""


@dataclass(frozen=True)
class Imported:
    documents: int
    questions: int
    skipped_queries: int  # queries without a relevant document in the qrels


def import_beir(folder: Path, out: Path, split: str = "test") -> Imported:
    corpus, queries = folder / "corpus.jsonl", folder / "queries.jsonl"
    judged = folder / "qrels" / f"{split}.tsv"
    for path in (corpus, queries, judged):
        if not path.is_file():
            raise BeirError(f"{path} is missing: a BEIR folder holds corpus.jsonl, "
                            f"queries.jsonl and qrels/{split}.tsv")  # fmt: skip
    names: dict[str, str] = {}
    (out / "corpus").mkdir(parents=True, exist_ok=True)
    for row in _rows(corpus):
        name = names[str(row["_id"])] = _file_name(str(row["_id"]))
        text = "\n\n".join(part for part in (row.get("title"), row.get("text")) if part)
        (out / "corpus" / name).write_text(text.strip() + "\n", encoding="utf-8")
    relevant = _qrels(judged)
    written = skipped = 0
    with (out / "questions.jsonl").open("w", encoding="utf-8") as questions:
        for row in _rows(queries):
            sources = sorted(names[d] for d in relevant.get(str(row["_id"]), ()) if d in names)
            if not sources:
                skipped += 1
                continue
            question = {
                "id": str(row["_id"]), "question": row["text"], "answerable": True,
                "expected_sources": sources, "sources_mode": "any", "kind": "beir",
            }  # fmt: skip
            questions.write(json.dumps(question, ensure_ascii=False) + "\n")
            written += 1
    return Imported(len(names), written, skipped)


def _rows(path: Path) -> Iterator[dict]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise BeirError(f"{path}, line {number}: not JSON ({error.msg})") from None
            if "_id" not in row or ("text" not in row):
                raise BeirError(f"{path}, line {number}: needs `_id` and `text`")
            yield row


def _qrels(path: Path) -> dict[str, set[str]]:
    relevant: dict[str, set[str]] = {}
    with path.open(encoding="utf-8", newline="") as rows:
        for row in csv.DictReader(rows, delimiter="\t"):
            try:
                if int(row["score"]) > 0:
                    relevant.setdefault(row["query-id"], set()).add(row["corpus-id"])
            except (KeyError, TypeError, ValueError):
                raise BeirError(f"{path}: expected columns query-id, corpus-id, score") from None
    return relevant


def _file_name(doc_id: str) -> str:
    """A safe, unique file name for a document id (ids may hold slashes or be very long)."""
    safe = re.sub(r"[^\w.-]", "_", doc_id)[:80]
    if safe != doc_id:
        safe += "-" + hashlib.sha256(doc_id.encode()).hexdigest()[:8]
    return safe + ".txt"
