"""Word (.docx) to quotable text: one line per paragraph, headings recorded where they start."""

from __future__ import annotations

import io
import zipfile

from index.layout import Extracted, Layout


def read_docx(raw: bytes) -> Extracted:
    """Raises ValueError for a damaged Word file."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(raw))
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError) as error:
        raise ValueError(f"a damaged Word file ({type(error).__name__}: {error})") from None
    lines: list[str] = []
    headings: list[tuple[int, str]] = []
    offset = 0
    for paragraph in document.paragraphs:
        text = paragraph.text.strip()
        if not text:
            continue
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        if style.startswith(("Heading", "Title")):
            headings.append((offset, text))
        lines.append(text)
        offset += len(text) + 1
    if not lines:
        raise ValueError("a Word file without any text")
    core = document.core_properties
    date = core.created or core.modified
    metadata = {
        key: str(value).strip()
        for key, value in (
            ("title", core.title),
            ("author", core.author),
            ("date", date.date().isoformat() if date else None),
        )
        if value and str(value).strip()
    }
    return Extracted("\n".join(lines), Layout(headings=headings), metadata)
