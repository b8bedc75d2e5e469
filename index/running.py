"""Running headers and footers: lines a printed document repeats at the top or bottom of its
pages (a title, a date, a URL, "3/7"). They are page furniture, never article text."""

from __future__ import annotations

import re
from collections import Counter

EDGE_LINES = 3  # lines at the top and at the bottom of a page that may be furniture
_DIGITS = re.compile(r"\d+")
_PAGE_NUMBER = re.compile(
    r"^(?:page\s*)?\d+(?:\s*(?:/|of)\s*\d+)?$|^[-–—]\s*\d+\s*[-–—]$", re.IGNORECASE
)


def _key(line: str) -> str:
    """A line with its numbers masked: "file:///a.txt 2/4" and ".. 3/4" are the same line."""
    return _DIGITS.sub("#", " ".join(line.split()).lower())


def _edges(lines: list[str]) -> list[int]:
    """Indices of the first and last few non-empty lines of a page."""
    filled = [i for i, line in enumerate(lines) if line.strip()]
    if len(filled) <= 2 * EDGE_LINES:
        return filled
    return filled[:EDGE_LINES] + filled[-EDGE_LINES:]


def running_lines(pages: list[list[str]]) -> list[set[int]]:
    """For each page (its lines), the indices of its running headers, footers, page numbers.

    A line near a page's top or bottom is furniture when it is a page number, or when (numbers
    masked) it recurs near the edges of at least half of the pages, and of two at least.
    """
    edges = [_edges(lines) for lines in pages]
    counts = Counter(
        key
        for lines, found in zip(pages, edges, strict=True)
        for key in {_key(lines[i]) for i in found}
    )
    least = max(2, (len(pages) + 1) // 2)
    return [
        {
            i
            for i in found
            if _PAGE_NUMBER.match(lines[i].strip()) or counts[_key(lines[i])] >= least
        }
        for lines, found in zip(pages, edges, strict=True)
    ]
