"""Compare PDF text extractors on the seeds printed by chromium (run in a scratch venv with
pypdf and pdfminer.six installed): source lines found verbatim (whitespace normalised) and
time per page.

    python docs/formats/compare_extractors.py PDF_FOLDER seeds/
"""

import sys
import time
from pathlib import Path

from pdfminer.high_level import extract_pages
from pdfminer.layout import LTTextContainer
from pypdf import PdfReader


def pypdf_pages(path: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(path).pages]


def pdfminer_pages(path: Path) -> list[str]:
    return [
        "".join(box.get_text() for box in page if isinstance(box, LTTextContainer))
        for page in extract_pages(path)
    ]


def normalise(text: str) -> str:
    return " ".join(text.split())


def main(pdfs: Path, sources: Path) -> None:
    files = sorted(pdfs.glob("*.pdf"))
    for name, extract in (("pypdf", pypdf_pages), ("pdfminer.six", pdfminer_pages)):
        started, found, total, pages = time.perf_counter(), 0, 0, 0
        for path in files:
            extracted = extract(path)
            pages += len(extracted)
            text = normalise(" ".join(extracted))
            lines = (sources / f"{path.stem}.txt").read_text(encoding="utf-8").splitlines()
            lines = [line for line in lines if len(line.split()) >= 6]
            total += len(lines)
            found += sum(normalise(line) in text for line in lines)
        ms = (time.perf_counter() - started) * 1000 / pages
        print(f"{name}: {found}/{total} lines found, {pages} pages, {ms:.0f} ms/page")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
