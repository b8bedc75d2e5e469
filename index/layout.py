"""Where an offset of a document's text sits: its page (PDF) and the heading above it."""

from __future__ import annotations

import json
from bisect import bisect_right
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Layout:
    """`pages`: the offset where each page starts (empty when the format has no pages);
    `headings`: (offset, heading) in text order."""

    pages: list[int] = field(default_factory=list)
    headings: list[tuple[int, str]] = field(default_factory=list)

    def page_at(self, offset: int) -> int | None:
        """The 1-based page holding `offset`, or None without pages."""
        return bisect_right(self.pages, offset) or None

    def heading_at(self, offset: int) -> str | None:
        """The last heading at or before `offset`."""
        i = bisect_right([start for start, _ in self.headings], offset)
        return self.headings[i - 1][1] if i else None

    def to_json(self) -> str:
        return json.dumps({"pages": self.pages, "headings": self.headings})

    @classmethod
    def from_json(cls, data: str | None) -> Layout:
        found = json.loads(data) if data else {}
        headings = [(int(start), str(text)) for start, text in found.get("headings", [])]
        return cls(list(found.get("pages", [])), headings)


@dataclass
class Extracted:
    """Text extracted from a binary format, its layout, and what it says about itself."""

    text: str
    layout: Layout
    metadata: dict[str, str] = field(default_factory=dict)
    furniture: list[tuple[int, int]] = field(default_factory=list)  # running headers, footers
