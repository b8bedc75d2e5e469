"""Cleaning rules for text: keep the body, drop the page chrome, and say what went and why.

Cleaning never rewrites text. It classifies blocks of the text and returns the spans of the
original text that belong to the body, so every chunk is an exact slice of its file, plus a
`Removal` for every span it left out, naming the rule that removed it.

How the body is found (in the spirit of boilerplate removal by text density):
1. each paragraph is a block: a non-empty line, a Markdown paragraph, or the lines of a
   hard-wrapped paragraph of plain text;
2. a block is chrome (a menu item, a timestamp, a link line, a line that *is* a subscribe,
   copyright or comment-form notice), prose (a sentence of several words) or short (headings,
   labels, headlines, list items, table rows, code). A chrome phrase inside prose counts only
   where its sentence is boilerplate: a republication note, a page label ("Disclaimer:"), or
   a call to the reader ("subscribe to our channel"); then only that sentence goes;
3. chrome blocks are hard walls: they cut the text into segments;
4. in each segment the best runs of blocks are those with the highest sum of scores (prose
   scores its word count, a short block a small penalty), so isolated prose in a menu or
   glossary loses against the long run of prose that is the article;
5. a segment whose best run scores at least a fraction of the best run of all is the body's
   (an article split by an inline "Read also" box keeps both halves), and so is a segment
   with prose between two of those; of each, everything from its first run of prose to its
   last is kept. A text with no run of prose at all (a note, a list, a table) keeps every
   block that is not a notice: it has no article to tell chrome from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import pairwise

CLEANING_VERSION = 3  # bump when the rules change: documents are then re-indexed
SHORT_PENALTY = 3
MIN_PROSE_WORDS = 4
LONG_LINE_WORDS = 25  # a line this long is prose even without a full stop
KEEP_FRACTION = 0.25
MIN_RUN_SCORE = 8
WRAP_WIDTHS = (60, 100)  # a text whose lines mostly end within these may be hard-wrapped

# A sentence holding one of these is boilerplate wherever it stands: it speaks about the page.
_BOILERPLATE = re.compile(
    r"all rights reserved|click here|share (?:buttons|this (?:article|story|post|page))|"
    r"leave a (?:reply|comment)|your email address will not be published|required fields|"
    r"translate website|drop down menu|original source of this article|"
    r"\b(?:article|story|post|piece|report|column|interview|essay|version)\b[^.!?]{0,40}?"
    r"\b(?:first|originally) (?:appeared|published|posted|ran)\b|"
    r"^\W*(?:disclaimer|note to readers|featured image|source|tags?|articles by|"
    r"(?:photo|image) credits?)\s*:",
    re.IGNORECASE,
)
# These are words of prose too ("states expected to sign up to the agreement"): they count on
# a line that is no sentence, or in a sentence addressed to the reader.
_CHROME_WORDS = re.compile(
    r"subscribe|newsletter|follow us|share (?:this|widely)|sign up|copyright|©|disclaimer|"
    r"terms of (?:use|service)|privacy policy|cookies? (?:policy|settings)|advertisement|"
    r"repost|fair use|media inquiries|read (?:also|more)\b|first appeared on|"
    r"[\w.+-]+@[\w-]+\.[\w.]+",
    re.IGNORECASE,
)
_TO_THE_READER = re.compile(
    r"^\W*(?:feel free|please|click|follow|subscribe|share|sign up|join|download|register|"
    r"log ?in|become|read|support|donate|leave|get|don'?t (?:forget|miss))\b|\b(?:our|us)\b",
    re.IGNORECASE,
)
# Whole lines that are page furniture: section labels of a news site, comment-form fields.
_CHROME_LINE = re.compile(
    r"^comments?\b|^related (?:content|articles|posts|news|stories)|"
    r"^latest (?:news|posts|articles)|^most (?:viewed|read|popular)|^editor'?s choice|"
    r"^tags?\s*:|^all news$|^(?:log ?in|sign ?in|register)$|"
    r"^(?:name|e-?mail|website|\*?\s*text)\s*:|^send$|"
    r"^(?:photo|film|gallery|video)$|^(?:day|week|month)(?: (?:week|month|year))*$",
    re.IGNORECASE,
)
_LINK = re.compile(
    r"\[([^\]]*)\]\([^)]*\)|https?://\S+|\bwww\.\S+|\b[\w-]+\.(?:com|net|org|az|ir|ru|de)\b"
)
_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_DATE_PATTERNS = (
    (re.compile(rf"\b(\d{{1,2}}) ({_MONTHS}) (\d{{4}})\b"), "%d %B %Y"),
    (re.compile(rf"\b({_MONTHS}) (\d{{1,2}}), (\d{{4}})\b"), "%B %d %Y"),
    (re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"), "%Y %m %d"),
)
_QUOTED = re.compile(r"'[^'\s]*'|\"[^\"\s]*\"")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_TIME = re.compile(r"\b\d{1,2}:\d{2}\b")
_SENTENCE_END = re.compile(r"[.!?:;…][\"'”’)\]]*$")
# References after a sentence's end: "…in 1950.[12][citation needed]", a footnote's "↩"
_TRAILING_REFS = re.compile(r"(?:\s*(?:\[[^\]\n]{1,40}\]|↩\ufe0e?))+$")
_SENTENCE = re.compile(r"\S.*?(?:[.!?…][\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])|$)", re.DOTALL)
_BLOCK_START = re.compile(r"^\s*(?:[-*+•|>#]|\d+[.)]\s|```|~~~)")
_WORD = re.compile(r"\w[\w'’.-]*")
_NAME = re.compile(r"^(?:[A-Z][\w'’.-]+ ){1,3}[A-Z][\w'’.-]+$")
_BYLINE = re.compile(r"^By\s+(?:\[([^\]]+)\]\([^)]*\)|(.+))$")
_PUBLISHER_LINES = (
    re.compile(r"^Source\s*:\s*(.+?)\s*$", re.IGNORECASE),
    re.compile(r"first appeared on\s+(.+?)\.?\s*$", re.IGNORECASE),
    re.compile(rf"^([A-Z][\w .&'-]+?),\s+(?:{_MONTHS}) \d{{1,2}}, \d{{4}}$"),
    re.compile(r"^([^|]{2,40}?)\s+\|\s+"),
)

_NOTICES = ("chrome line", "boilerplate", "a call")
OUTSIDE = "a short line outside the body (a title, a menu, a headline list)"
SIDEBAR = "prose apart from the body, far smaller than it (a sidebar, a glossary, a footer)"
FURNITURE = "a running header or footer of the printed pages"


@dataclass(frozen=True)
class Removal:
    """A span of the source text that no chunk holds, and the rule that left it out."""

    start: int
    end: int
    rule: str


@dataclass(frozen=True)
class Block:
    start: int
    end: int
    kind: str  # "chrome" | "prose" | "short"
    words: int
    rule: str = ""  # why a chrome block is chrome
    holes: tuple[Removal, ...] = ()  # boilerplate sentences inside a prose block

    @property
    def score(self) -> int:
        return self.words if self.kind == "prose" else -SHORT_PENALTY


@dataclass
class CleanedText:
    """The body as spans of the original text, what was removed and why, and what the page
    says about itself."""

    sections: list[tuple[int, int]]
    metadata: dict[str, str] = field(default_factory=dict)
    removed: list[Removal] = field(default_factory=list)

    def body(self, text: str) -> str:
        return "\n\n".join(text[s:e] for s, e in self.sections)


def _paragraphs(text: str, markdown: bool = False) -> list[tuple[int, int]]:
    """Spans of the blocks: every non-empty line, except that the lines of a paragraph are one
    block where the text says so: a Markdown paragraph (lines up to a blank line or the start
    of a list item, heading, quote, table or code fence) or a hard-wrapped paragraph of plain
    text (a text of short lines, most of them followed by another)."""
    lines = []
    for match in re.finditer(r"[^\n]+", text):
        line = match.group()
        if line.strip():
            start = match.start() + len(line) - len(line.lstrip())
            lines.append((start, match.end() - (len(line) - len(line.rstrip()))))
    adjacent = [text.count("\n", a[1], b[0]) == 1 for a, b in pairwise(lines)]
    joins = _markdown_joins(text, lines) if markdown else _wrap_joins(text, lines, adjacent)
    spans = lines[:1]
    for (start, end), joined in zip(lines[1:], joins, strict=True):
        spans[-1:] = [(spans[-1][0], end)] if joined else [spans[-1], (start, end)]
    return spans


def _markdown_joins(text: str, lines: list[tuple[int, int]]) -> list[bool]:
    """For each line after the first: does it continue the paragraph of the line before?"""
    joins, fenced = [], False
    for (a_start, a_end), (b_start, b_end) in pairwise(lines):
        before, line = text[a_start:a_end], text[b_start:b_end]
        fenced ^= before.startswith(("```", "~~~"))
        quoted = line.startswith(">") and before.startswith(">")
        joins.append(
            fenced  # a code block is one block, up to its closing fence
            or (
                text.count("\n", a_end, b_start) == 1
                and not before.startswith(("#", "|"))
                and (quoted or not _BLOCK_START.match(line))
            )
        )
    return joins


def _wrap_joins(text: str, lines: list[tuple[int, int]], adjacent: list[bool]) -> list[bool]:
    lengths = sorted(e - s for s, e in lines)
    width = lengths[len(lengths) * 9 // 10] if lengths else 0
    wrapped = WRAP_WIDTHS[0] <= width <= WRAP_WIDTHS[1] and sum(adjacent) * 2 >= len(adjacent)
    if not (len(lines) >= 4 and wrapped):
        return [False] * len(adjacent)
    return [
        joined
        and a_end - text.rfind("\n", 0, a_end) - 1 >= 0.6 * width
        and not _BLOCK_START.match(text[b_start:b_end])
        for ((_, a_end), (b_start, b_end)), joined in zip(pairwise(lines), adjacent, strict=True)
    ]


def words_in(text: str) -> int:
    return len(_WORD.findall(text))


def split_blocks(text: str, markdown: bool = False) -> list[Block]:
    """Every block of the text, trimmed of surrounding whitespace, with its class."""
    blocks = []
    for start, end in _paragraphs(text, markdown):
        blocks.append(classify(text[start:end], words_in(text[start:end]), start))
    return blocks


def _is_prose(line: str, words: int) -> bool:
    sentence_end = _SENTENCE_END.search(_TRAILING_REFS.sub("", line))
    return words >= MIN_PROSE_WORDS and (bool(sentence_end) or words >= LONG_LINE_WORDS)


def classify(block: str, words: int, start: int = 0) -> Block:
    """The block at `start` with its class (and, for prose, its boilerplate sentences)."""
    end = start + len(block)
    if block.startswith(("```", "~~~")) or _IMAGE.fullmatch(block):  # code, a figure
        return Block(start, end, "short", words)
    if rule := _chrome_rule(block, words):
        return Block(start, end, "chrome", words, rule)
    if not _is_prose(block, words):
        return Block(start, end, "short", words)
    holes = tuple(
        Removal(start + m.start(), start + m.start() + len(m.group().rstrip()), rule)
        for m in _SENTENCE.finditer(block)
        if (rule := _boilerplate_sentence(m.group()))
    )
    rest = list(block)
    for hole in holes:
        rest[hole.start - start : hole.end - start] = " " * (hole.end - hole.start)
    if not _WORD.search("".join(rest)):  # nothing but boilerplate sentences
        return Block(start, end, "chrome", words, holes[0].rule)
    return Block(start, end, "prose", words, holes=holes)


def _boilerplate_sentence(sentence: str) -> str:
    """Why a sentence of prose is boilerplate, or ""."""
    if found := _BOILERPLATE.search(sentence):
        return f"boilerplate sentence ({found.group().strip(' :').lower()!r})"
    if (found := _CHROME_WORDS.search(sentence)) and _TO_THE_READER.search(sentence):
        return f"a call to the reader ({found.group().lower()!r})"
    return "a link line" if _is_link_line(sentence) else ""


def _is_link_line(text: str) -> bool:
    """Mostly links, or links with fewer than MIN_PROSE_WORDS other words ("By [Jane Doe](…)",
    a menu): a Markdown link counts its text, not its address; an address in quotes is a
    string of code, not a link."""
    text = _QUOTED.sub("''", text)
    links = list(_LINK.finditer(text))
    if not links:
        return False
    shown = [m.group() if m.group(1) is None else m.group(1) for m in links]
    hidden = sum(len(m.group()) - len(s) for m, s in zip(links, shown, strict=True))
    rest = len(_WORD.findall(_LINK.sub(" ", text)))
    return sum(map(len, shown)) > 0.5 * (len(text) - hidden) or rest < MIN_PROSE_WORDS


def _chrome_rule(line: str, words: int) -> str:
    """Why a whole line is chrome, or ""."""
    if found := _CHROME_LINE.search(line):
        return f"chrome line ({found.group().strip(' :').lower()!r})"
    if _is_link_line(line):
        return "a link line"
    if _is_prose(line, words):
        return ""
    if found := _BOILERPLATE.search(line) or _CHROME_WORDS.search(line):
        return f"chrome line ({found.group().strip(' :').lower()!r})"
    if words <= 8 and (_TIME.search(line) or find_date(line)):
        return "a date or time line"
    return ""


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


def _runs(blocks: list[Block]) -> list[tuple[int, list[Block]]]:
    """The best run of a segment, then the best runs of what is left on either side of it."""
    score, first, last = _best_run(blocks)
    if last < first:
        return []
    return [*_runs(blocks[:first]), (score, blocks[first : last + 1]), *_runs(blocks[last + 1 :])]


def body_blocks(blocks: list[Block]) -> list[list[Block]]:
    """The kept stretches of blocks, in page order. A segment is the body's when its best run
    scores at least a fraction of the best run of all, or when it lies between two such
    segments and holds prose (a paragraph between a code sample and a table); of a kept
    segment, everything from its first run of prose to its last is kept (lists, code and
    tables between paragraphs are the body's too)."""
    segments: list[list[Block]] = [[]]
    for block in blocks:
        if block.kind == "chrome":
            segments.append([])
        else:
            segments[-1].append(block)
    runs = [[(score, run) for score, run in _runs(segment) if score >= MIN_PROSE_WORDS]
            for segment in segments]  # fmt: skip
    best = [max((score for score, _ in found), default=0) for found in runs]
    floor = max(MIN_RUN_SCORE, KEEP_FRACTION * max(best, default=0))
    major = [i for i, score in enumerate(best) if score >= floor]
    kept = []
    for i, (segment, prose) in enumerate(zip(segments, runs, strict=True)):
        if prose and major and major[0] <= i <= major[-1]:
            first, last = segment.index(prose[0][1][0]), segment.index(prose[-1][1][-1])
            kept.append(segment[first : last + 1])
    return kept


def clean_text(text: str, markdown: bool = False) -> CleanedText:
    blocks = split_blocks(text, markdown)
    runs = body_blocks(blocks)
    if not runs:  # a note, a list, a table: no article to tell chrome from, bar notices
        runs = [[block] for block in blocks if not block.rule.startswith(_NOTICES)]
    kept = {block for run in runs for block in run}
    holes = [hole for block in kept for hole in block.holes]
    sections = subtract(text, [(run[0].start, run[-1].end) for run in runs], holes)
    removed = sorted(
        [*holes, *(_removal(block) for block in blocks if block not in kept)],
        key=lambda r: r.start,
    )
    header_end = runs[0][0].start if runs else len(text)
    return CleanedText(sections, page_metadata(text, blocks, header_end), removed)


def trim_edges(text: str) -> CleanedText:
    """Text another tool chose as the body (a web page's main content): only the lines before
    its first prose, list or table and after its last go, where they are chrome or short (a
    title repeated, "Table of Contents", "This page last modified on…")."""
    blocks = split_blocks(text)
    body = [
        i
        for i, block in enumerate(blocks)
        if block.kind == "prose"
        or (block.kind == "short" and _BLOCK_START.match(text[block.start : block.end]))
    ]
    if not body:
        return CleanedText([(blocks[0].start, blocks[-1].end)] if blocks else [])
    first, last = blocks[body[0]], blocks[body[-1]]
    removed = [_removal(b) for b in blocks[: body[0]] + blocks[body[-1] + 1 :]]
    return CleanedText([(first.start, last.end)], removed=removed)


def _removal(block: Block) -> Removal:
    rule = {"chrome": block.rule, "short": OUTSIDE}.get(block.kind, SIDEBAR)
    return Removal(block.start, block.end, rule)


def subtract(
    text: str, sections: list[tuple[int, int]], holes: list[tuple[int, int]] | list[Removal]
) -> list[tuple[int, int]]:
    """The sections minus the holes, each piece trimmed of surrounding whitespace."""
    spans = sorted((h.start, h.end) if isinstance(h, Removal) else h for h in holes)
    trimmed = []
    for section_start, section_end in sections:
        pieces, start = [], section_start
        for hole_start, hole_end in spans:
            if section_start <= hole_start < section_end:
                pieces.append((start, hole_start))
                start = max(start, hole_end)
        pieces.append((start, section_end))
        for s, e in pieces:
            chunk = text[s:e]
            s, e = s + len(chunk) - len(chunk.lstrip()), e - (len(chunk) - len(chunk.rstrip()))
            if s < e:
                trimmed.append((s, e))
    return trimmed


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
        if header[i] in header[:i] and not _chrome_rule(header[i], len(header[i].split())):
            return header[i]
    for line in header:
        if len(line.split()) >= 3 and "|" not in line and not _chrome_rule(line, 4):
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
