"""Uploaded files, kept under the data folder and named by their content hash.

The name a person gave a file is metadata only: it is sanitised into a document id and never
becomes a path. The same bytes uploaded twice are one file."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import unicodedata
from pathlib import Path

from index.documents import SUFFIXES

MAX_NAME = 120
_UNSAFE = re.compile(r"[^\w .()+-]+")


def safe_name(name: str) -> str:
    """A file name a person gave, as a harmless document id: the last path part, no control
    characters or separators, no leading dots, at most MAX_NAME characters, suffix kept."""
    base = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    base = _UNSAFE.sub("_", base).strip(" ._") or "upload"
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        return base[:MAX_NAME]
    return f"{stem[: MAX_NAME - len(suffix) - 1]}.{suffix}"


class UploadFolder:
    def __init__(self, root: Path) -> None:
        self.root = root

    def keep(self, source: Path, name: str) -> Path:
        """Copy an uploaded file in as `<sha256><suffix>`; an existing copy is reused."""
        digest = hashlib.sha256()
        with source.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        suffix = Path(safe_name(name)).suffix.lower()
        target = self.root / f"{digest.hexdigest()}{suffix if suffix in SUFFIXES else ''}"
        if not target.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(f".{target.name}.part")
            shutil.copyfile(source, partial)
            os.replace(partial, target)  # never a half-written file under its final name
        return target

    def holds(self, path: Path) -> bool:
        return path.resolve().parent == self.root.resolve()

    def discard(self, path: Path) -> None:
        """Delete a kept file (only ever one of this folder's own)."""
        if self.holds(path):
            path.unlink(missing_ok=True)
