"""Reading source files into documents: the exact text, its hash, its cleaned body spans."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from index.cleaning import clean_text

SUFFIXES = (".txt", ".md", ".html", ".htm")
MAX_BYTES = 20_000_000


@dataclass
class SourceDocument:
    """One file. Chunk offsets index into `text`: the file decoded as UTF-8 (for HTML, the
    main content that the extractor selected, since markup is not quotable text)."""

    doc_id: str
    path: Path
    text: str
    content_hash: str
    sections: list[tuple[int, int]]
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return self.metadata.get("title") or self.doc_id


@dataclass(frozen=True)
class Skipped:
    path: Path
    reason: str


def discover(paths: Iterable[Path]) -> Iterator[tuple[str, Path]]:
    """(doc_id, path) for every indexable file; the id is the path relative to the folder given.

    Folders are walked recursively without following symlinked folders (no loops); files are
    yielded in a stable order so that runs are reproducible.
    """
    for root in paths:
        if root.is_file():
            yield root.name, root
            continue
        for folder, dirs, names in os.walk(root):
            dirs.sort()
            for name in sorted(names):
                path = Path(folder) / name
                if path.suffix.lower() in SUFFIXES:
                    yield path.relative_to(root).as_posix(), path


def read_document(doc_id: str, path: Path, max_bytes: int = MAX_BYTES) -> SourceDocument:
    """Read and clean one file. Raises ValueError with a reason a person can act on."""
    try:
        doc_id.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("the file name is not valid UTF-8: rename the file") from None
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):  # a pipe would block the read forever
            raise ValueError("not a regular file (a pipe, socket or device)")
        size = info.st_size
        if size > max_bytes:
            raise ValueError(f"too large ({size:,} bytes; the limit is {max_bytes:,})")
        raw = path.read_bytes()
    except OSError as error:
        raise ValueError(f"unreadable ({error.strerror or error})") from None
    if not raw.strip():
        raise ValueError("empty file")
    if b"\x00" in raw[:8192]:
        raise ValueError("binary file (contains NUL bytes)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(
            f"not UTF-8 (byte 0x{raw[error.start]:02x} at offset {error.start}); "
            "convert it, e.g. `iconv -f latin1 -t utf-8`"
        ) from None
    content_hash = hashlib.sha256(raw).hexdigest()
    if path.suffix.lower() in (".html", ".htm"):
        return _html_document(doc_id, path, text, content_hash)
    cleaned = clean_text(text)
    if not cleaned.sections:
        raise ValueError("no article text found after cleaning")
    return SourceDocument(doc_id, path, text, content_hash, cleaned.sections, cleaned.metadata)


def _html_document(doc_id: str, path: Path, html: str, content_hash: str) -> SourceDocument:
    import trafilatura

    text = trafilatura.extract(html, include_comments=False, include_tables=True) or ""
    if not text.strip():
        raise ValueError("no article text found in the HTML")
    found = trafilatura.extract_metadata(html)
    metadata = {}
    for key, value in (
        ("title", found and found.title),
        ("date", found and found.date),
        ("author", found and found.author),
        ("publisher", found and (found.sitename or found.hostname)),
    ):
        if value:
            metadata[key] = str(value)
    return SourceDocument(doc_id, path, text, content_hash, [(0, len(text))], metadata)
