"""Cleaning rules for web pages saved as text: keep the article body, drop the page chrome.

Cleaning never rewrites text. It classifies each line of the page and returns the spans of
the original text that belong to the article, so every chunk is an exact slice of its file.

How the body is found (in the spirit of boilerplate removal by text density):
1. each non-empty line is a block, classified as chrome (menus, timestamps, link lines,
   share/subscribe/copyright/comment-form phrases), prose (a sentence of several words)
   or short (headings, labels, headlines);
2. chrome blocks are hard walls: they cut the page into segments;
3. in each segment the best run of blocks is the one with the highest sum of scores
   (prose scores its word count, a short block a small penalty), so isolated prose in a
   menu or glossary loses against the long run of prose that is the article;
4. runs scoring at least a fraction of the best run are kept (an article split by an inline
   "Read also" box keeps both halves); everything else is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

CLEANING_VERSION = 2  # bump when the rules change: documents are then re-indexed
SHORT_PENALTY = 3
MIN_PROSE_WORDS = 4
KEEP_FRACTION = 0.25
MIN_RUN_SCORE = 8

_CHROME_PHRASES = re.compile(
    r"subscribe|newsletter|follow us|share (?:this|widely|buttons)|click here|"
    r"all rights reserved|copyright|©|disclaimer|terms of (?:use|service)|privacy policy|"
    r"cookies? (?:policy|settings)|leave a (?:reply|comment)|your email address|required fields|"
    r"^comments?\b|read (?:also|more)\b|^related (?:content|articles|posts|news|stories)|"
    r"^latest (?:news|posts|articles)|^most (?:viewed|read|popular)|^editor'?s choice|"
    r"^tags?\s*:|sign up|^log ?in\b|advertisement|fair use|repost|translate website|"
    r"drop down menu|first appeared on|original source of this article|^source\s*:|"
    r"^featured image|^note to readers|^articles by\s*:|media inquiries|^all news$|"
    r"^(?:name|e-?mail|website|\*?\s*text)\s*:|^send$|^(?:photo|film|gallery|video)$|"
    r"^(?:day|week|month)(?: (?:week|month|year))*$",
    re.IGNORECASE,
)
_LINK = re.compile(
    r"\[[^\]]*\]\([^)]*\)|https?://\S+|\bwww\.\S+|\b[\w-]+\.(?:com|net|org|az|ir|ru|de)\b"
)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.]+\b")
_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_DATE_PATTERNS = (
    (re.compile(rf"\b(\d{{1,2}}) ({_MONTHS}) (\d{{4}})\b"), "%d %B %Y"),
    (re.compile(rf"\b({_MONTHS}) (\d{{1,2}}), (\d{{4}})\b"), "%B %d %Y"),
    (re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"), "%Y %m %d"),
)
_TIME = re.compile(r"\b\d{1,2}:\d{2}\b")
_SENTENCE_END = re.compile(r"[.!?:;…][\"'”’)\]]*$")
_WORD = re.compile(r"\w[\w'’.-]*")
_NAME = re.compile(r"^(?:[A-Z][\w'’.-]+ ){1,3}[A-Z][\w'’.-]+$")
_BYLINE = re.compile(r"^By\s+(?:\[([^\]]+)\]\([^)]*\)|(.+))$")
_PUBLISHER_LINES = (
    re.compile(r"^Source\s*:\s*(.+?)\s*$", re.IGNORECASE),
    re.compile(r"first appeared on\s+(.+?)\.?\s*$", re.IGNORECASE),
    re.compile(rf"^([A-Z][\w .&'-]+?),\s+(?:{_MONTHS}) \d{{1,2}}, \d{{4}}$"),
    re.compile(r"^([^|]{2,40}?)\s+\|\s+"),
)


@dataclass(frozen=True)
class Block:
    start: int
    end: int
    kind: str  # "chrome" | "prose" | "short"
    words: int

    @property
    def score(self) -> int:
        return self.words if self.kind == "prose" else -SHORT_PENALTY


@dataclass
class CleanedText:
    """The article body as spans of the original text, plus what the page says about itself."""

    sections: list[tuple[int, int]]
    metadata: dict[str, str] = field(default_factory=dict)

    def body(self, text: str) -> str:
        return "\n\n".join(text[s:e] for s, e in self.sections)


def split_blocks(text: str) -> list[Block]:
    """Every non-empty line, trimmed of surrounding whitespace, with its class."""
    blocks = []
    for match in re.finditer(r"[^\n]+", text):
        line = match.group()
        stripped = line.strip()
        if not stripped:
            continue
        start = match.start() + (len(line) - len(line.lstrip()))
        words = len(_WORD.findall(stripped))
        blocks.append(Block(start, start + len(stripped), classify(stripped, words), words))
    return blocks


def classify(line: str, words: int) -> str:
    if _is_chrome(line, words):
        return "chrome"
    if words >= MIN_PROSE_WORDS and _SENTENCE_END.search(line):
        return "prose"
    return "short"


def _is_chrome(line: str, words: int) -> bool:
    if _CHROME_PHRASES.search(line) or _EMAIL.search(line):
        return True
    linked = sum(len(m.group()) for m in _LINK.finditer(line))
    if linked and (linked / len(line) > 0.3 or words <= 12):
        return True
    return words <= 8 and bool(_TIME.search(line) or find_date(line))


def _best_run(blocks: list[Block]) -> tuple[int, int, int]:
    """Maximum-sum contiguous run (Kadane): (score, first, last) indices into blocks."""
    best = (0, 0, -1)
    total, first = 0, 0
    for i, block in enumerate(blocks):
        if total <= 0:
            total, first = 0, i
        total += block.score
        if total > best[0]:
            best = (total, first, i)
    return best


def body_blocks(blocks: list[Block]) -> list[list[Block]]:
    """The kept runs of blocks, in page order."""
    segments: list[list[Block]] = [[]]
    for block in blocks:
        if block.kind == "chrome":
            segments.append([])
        else:
            segments[-1].append(block)
    runs = []
    for segment in segments:
        score, first, last = _best_run(segment)
        if last >= first:
            runs.append((score, segment[first : last + 1]))
    if not runs:
        return []
    floor = max(MIN_RUN_SCORE, KEEP_FRACTION * max(score for score, _ in runs))
    return [run for score, run in runs if score >= floor]


def clean_text(text: str) -> CleanedText:
    blocks = split_blocks(text)
    runs = body_blocks(blocks)
    sections = [(run[0].start, run[-1].end) for run in runs]
    header_end = runs[0][0].start if runs else len(text)
    return CleanedText(sections, page_metadata(text, blocks, header_end))


def page_metadata(text: str, blocks: list[Block], body_start: int) -> dict[str, str]:
    """Title, date, author and publisher, where the page states them."""
    header = [text[b.start : b.end] for b in blocks if b.end <= body_start]
    lines = [text[b.start : b.end] for b in blocks]
    metadata: dict[str, str] = {}
    if title := _title(header):
        metadata["title"] = title
    for i, line in enumerate(header):
        dateline = len(line.split()) <= 8  # a date inside prose is not the page's date
        if dateline and "date" not in metadata and (found := find_date(line)):
            metadata["date"] = found.isoformat()
            following = header[i + 1] if i + 1 < len(header) else ""
            if _NAME.match(following) and following != metadata.get("title"):
                metadata.setdefault("author", following)
        if byline := _BYLINE.match(line):
            metadata.setdefault("author", (byline.group(1) or byline.group(2)).strip())
    for line in lines:
        for pattern in _PUBLISHER_LINES:
            if match := pattern.search(line):
                name = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", match.group(1)).strip()
                metadata.setdefault("publisher", name)
                break
        if "publisher" in metadata:
            break
    return metadata


def _title(header: list[str]) -> str | None:
    """The headline: the line the page repeats nearest the body, else its first line."""
    for i in range(len(header) - 1, 0, -1):
        if header[i] in header[:i] and not _is_chrome(header[i], len(header[i].split())):
            return header[i]
    for line in header:
        if len(line.split()) >= 3 and "|" not in line and not _is_chrome(line, 4):
            return line
    return None


def find_date(line: str) -> date | None:
    for pattern, fmt in _DATE_PATTERNS:
        if match := pattern.search(line):
            try:
                return datetime.strptime(" ".join(match.groups()), fmt).date()
            except ValueError:
                continue
    return None
