"""The general English word lists the question analysis reads (`rag/data/lexicon.json`), plus
a user's own (`RAG_LEXICON=path`, the same keys; its lists are added): a corpus extends them
without code."""

from __future__ import annotations

import json
import os
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any


@cache
def lexicon() -> dict[str, Any]:
    data = json.loads(resources.files("rag").joinpath("data/lexicon.json").read_text("utf-8"))
    if extra := os.environ.get("RAG_LEXICON"):
        try:
            _merge(data, json.loads(Path(extra).read_text("utf-8")))
        except (OSError, ValueError) as error:
            raise ValueError(f"RAG_LEXICON={extra}: cannot be read as JSON ({error})") from None
    return data


def words(key: str, kind: str | None = None) -> frozenset[str]:
    """A list of the lexicon, lower-cased: `words("focus", "date")`, `words("money_verbs")`."""
    found = lexicon()[key]
    return frozenset(w.lower() for w in (found.get(kind, []) if kind else found))


def _merge(into: dict[str, Any], more: dict[str, Any]) -> None:
    for key, value in more.items():
        if isinstance(value, dict):
            _merge(into.setdefault(key, {}), value)
        elif isinstance(value, list):
            into[key] = [*into.get(key, []), *value]
