"""PDF text layer to quotable text: pages joined, page starts recorded, wrapped lines rejoined,
running headers and footers kept on lines of their own and marked as furniture."""

from __future__ import annotations

import io
import re

from index.layout import Extracted, Layout
from index.running import running_lines

# Ligature glyphs a PDF's text layer often keeps; a quote should read "file", not "ﬁle".
_LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st"})


WRAP_FILL = 0.7  # a line this full of its page's usual width, ending mid-sentence, was wrapped
_SENTENCE_END = re.compile(r"[.!?:;…][\"'”’)\]]*$")
_HYPHEN_END = re.compile(r"\w[-–—]$")  # "President-" + "elect", "North–" + "South"


def _compose(
    lines: list[str], furniture: set[int], offset: int
) -> tuple[str, list[tuple[int, int]]]:
    """One page's text, and the spans (from `offset`) of its furniture lines.

    A line the typesetter wrapped is joined to the next body line, so that a sentence is one
    line again: it keeps the space it broke at ("by Iranian " + "Revolution"), ends in a hyphen
    or dash ("President-" + "elect"), or fills most of the width of the page's (or column's)
    lines without ending a sentence (where the page marks no wrap by a space: a line of one
    that does is a line of its own)."""
    text, spans = "", []
    lengths = sorted(len(line.strip()) for i, line in enumerate(lines) if i not in furniture)
    marked = any(line.endswith(" ") and line.strip() for line in lines)
    width = 0 if marked else lengths[len(lengths) * 9 // 10] if lengths else 0
    for i, line in enumerate(lines):
        if i in furniture:
            text += "\n" if text and not text.endswith("\n") else ""
            spans.append((offset + len(text), offset + len(text) + len(line.strip())))
            text += line.strip() + "\n"
            continue
        following = lines[i + 1] if i + 1 < len(lines) and i + 1 not in furniture else ""
        full = (
            width > 0
            and len(line.strip()) >= WRAP_FILL * width
            and not _SENTENCE_END.search(line.rstrip())
        )
        wraps = (
            line.strip()
            and following.strip()[:1].isalnum()
            and (line.endswith(" ") or _HYPHEN_END.search(line) or full)
        )
        if wraps and not line.endswith(" ") and not _HYPHEN_END.search(line):
            line = line.rstrip() + " "  # a line wrapped without its space keeps one
        text += line if wraps else line.rstrip() + "\n"
    return text.rstrip("\n"), spans


def read_pdf(raw: bytes) -> Extracted:
    """Raises ValueError for an encrypted, damaged or text-less (scanned) PDF."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ValueError("an encrypted PDF (it needs a password): save a copy without one")
        raws = [(page.extract_text() or "").translate(_LIGATURES) for page in reader.pages]
        info = reader.metadata or {}
    except (PdfReadError, OSError, KeyError, TypeError) as error:
        raise ValueError(f"a damaged PDF ({type(error).__name__}: {error})") from None
    if not any(page.strip() for page in raws):
        raise ValueError(
            "a PDF without a text layer (a scanned image?): run OCR on it first, "
            "e.g. `ocrmypdf in.pdf out.pdf`"
        )
    pages = [page.replace("\r\n", "\n").split("\n") for page in raws]
    texts, starts, furniture, offset = [], [], [], 0
    for lines, marked in zip(pages, running_lines(pages), strict=True):
        text, spans = _compose(lines, marked, offset)
        texts.append(text)
        starts.append(offset)
        furniture += spans
        offset += len(text) + 2  # pages are joined by a blank line
    metadata = {
        key: str(value).strip()
        for key, value in (
            ("title", info.get("/Title")),
            ("author", info.get("/Author")),
            ("date", _pdf_date(info.get("/CreationDate"))),
        )
        if value and str(value).strip()
    }
    return Extracted("\n\n".join(texts), Layout(pages=starts), metadata, furniture)


def _pdf_date(value: object) -> str | None:
    """A PDF date ("D:20261130012310+00'00'") as an ISO date."""
    match = re.match(r"D:(\d{4})(\d{2})(\d{2})", str(value or ""))
    return "-".join(match.groups()) if match else None
