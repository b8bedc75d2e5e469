"""Reading source files into documents: the exact text, its hash, its cleaned body spans."""

from __future__ import annotations

import hashlib
import io
import os
import re
import stat
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from index.cleaning import FURNITURE, CleanedText, Removal, clean_text, subtract, trim_edges
from index.layout import Extracted, Layout

SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf", ".docx")
MAX_BYTES = 20_000_000
KINDS = {"pdf": "a PDF", "docx": "a Word document", "zip": "a zip archive", "text": "text"}
_MD_HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
_FILE_NAME = re.compile(r"[\w .-]+\.[A-Za-z0-9]{2,4}")


@dataclass
class SourceDocument:
    """One file. Chunk offsets index into `text`: the file decoded as UTF-8, or for HTML, PDF
    and Word the text extracted from it (markup and binary formats are not quotable text)."""

    doc_id: str
    path: Path
    text: str
    content_hash: str
    sections: list[tuple[int, int]]
    metadata: dict[str, str] = field(default_factory=dict)
    layout: Layout = field(default_factory=Layout)
    removed: list[Removal] = field(default_factory=list)  # what no chunk holds, and why
    page_text: str = ""  # HTML: all the text of the page, of which `text` is the main content

    @property
    def title(self) -> str:
        return self.metadata.get("title") or self.doc_id


def body(doc: SourceDocument) -> str:
    """The cleaned body: its sections, one after the other."""
    return CleanedText(doc.sections).body(doc.text)


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
    content_hash = hashlib.sha256(raw).hexdigest()
    kind, expected = sniff(raw), suffix_kind(path.suffix)
    if kind != expected and expected == "text":
        raise ValueError(
            f"binary file ({KINDS[kind]}) under a text name ({path.suffix or 'no extension'}): "
            "give it the right extension"
        )
    if kind == "text" and expected == "pdf" and not _is_text(raw):
        raise ValueError("a damaged PDF: binary content that does not start with %PDF-")
    if kind != expected and not (kind == "zip" and expected == "docx"):  # a damaged .docx
        raise ValueError(
            f"the content is {KINDS[kind]} but the name ends in {path.suffix}: "
            "give it the right extension"
        )
    if kind == "pdf":
        from index.pdf import read_pdf

        return _extracted_document(doc_id, path, read_pdf(raw), content_hash)
    if expected == "docx":
        from index.word import read_docx

        return _extracted_document(doc_id, path, read_docx(raw), content_hash)
    if b"\x00" in raw[:8192]:
        raise ValueError("binary file (contains NUL bytes)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(
            f"not UTF-8 (byte 0x{raw[error.start]:02x} at offset {error.start}); "
            "convert it, e.g. `iconv -f latin1 -t utf-8`"
        ) from None
    if path.suffix.lower() in (".html", ".htm"):
        return _html_document(doc_id, path, text, content_hash)
    markdown = path.suffix.lower() == ".md"
    cleaned = clean_text(text, markdown)
    if not cleaned.sections:
        raise ValueError("no article text found after cleaning")
    headings = [(m.start(), m.group(1)) for m in _MD_HEADING.finditer(text)]
    layout = Layout(headings=headings if markdown else [])
    return SourceDocument(
        doc_id,
        path,
        text,
        content_hash,
        cleaned.sections,
        cleaned.metadata,
        layout,
        cleaned.removed,
    )


def sniff(raw: bytes) -> str:
    """The type of a file by its content: "pdf", "docx", "zip" (another or a damaged archive)
    or "text"."""
    if raw.startswith(b"%PDF-"):
        return "pdf"
    if not raw.startswith(b"PK\x03\x04"):
        return "text"
    try:
        names = zipfile.ZipFile(io.BytesIO(raw)).namelist()
    except zipfile.BadZipFile:
        return "zip"
    return "docx" if "word/document.xml" in names else "zip"


def _is_text(raw: bytes) -> bool:
    """UTF-8 without NUL bytes: a text file under another name, not a damaged binary one."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\x00" not in raw


def suffix_kind(suffix: str) -> str:
    return {".pdf": "pdf", ".docx": "docx"}.get(suffix.lower(), "text")


def _extracted_document(
    doc_id: str, path: Path, found: Extracted, content_hash: str
) -> SourceDocument:
    """Clean extracted text with the rules for web pages, its running headers and footers
    removed first (blanked, so that offsets hold and a page break does not cut the body)."""
    text = found.text
    furniture = found.furniture
    masked = list(text)
    for start, end in furniture:
        masked[start:end] = " " * (end - start)
    cleaned = clean_text("".join(masked))
    sections = subtract(text, cleaned.sections, furniture)
    removed = sorted(
        [*cleaned.removed, *(Removal(s, e, FURNITURE) for s, e in furniture)], key=lambda r: r.start
    )
    if not sections:
        raise ValueError("no article text found after cleaning")
    own = dict(found.metadata)
    if _FILE_NAME.fullmatch(own.get("title", "")):
        del own["title"]  # a printer's file name is not a title
    return SourceDocument(
        doc_id, path, text, content_hash, sections, cleaned.metadata | own, found.layout, removed
    )


def _html_document(doc_id: str, path: Path, html: str, content_hash: str) -> SourceDocument:
    from index.webpage import read_html

    page = read_html(html)
    cleaned = trim_edges(page.text)
    return SourceDocument(
        doc_id,
        path,
        page.text,
        content_hash,
        cleaned.sections,
        page.metadata,
        removed=cleaned.removed,
        page_text=page.page_text,
    )
