"""HTML to quotable text: trafilatura's main content, plus the prose it set aside inside it.

trafilatura (a maintained main-content extractor) decides what of a page is its text. It
also drops boxes inside the text by their class names ("sidebar", "related", "footnote"):
in a manual those are tips and notes. A paragraph of the page that reads as prose (our
`classify`) and lies between two paragraphs trafilatura kept is put back in its place."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from index.cleaning import classify, words_in


@dataclass(frozen=True)
class Page:
    text: str  # the main content, with the prose set aside inside it put back
    page_text: str  # all the text of the page
    metadata: dict[str, str]


def read_html(html: str) -> Page:
    """Raises ValueError for a page without any text."""
    import trafilatura

    main = trafilatura.extract(
        _unwrapped(trafilatura.load_html(html)),
        include_comments=False,
        include_tables=True,
        favor_recall=True,
    )
    if not (main or "").strip():
        raise ValueError("no article text found in the HTML")
    page_text = "\n".join(_page_paragraphs(trafilatura.load_html(html)))
    found = trafilatura.extract_metadata(html)
    metadata = {
        key: str(value)
        for key, value in (
            ("title", found and found.title),
            ("date", found and found.date),
            ("author", found and found.author),
            ("publisher", found and (found.sitename or found.hostname)),
        )
        if value
    }
    return Page(_with_inner_prose(main, page_text), page_text, metadata)


def _unwrapped(tree):
    """The page with the line breaks of its HTML source turned to spaces outside <pre>: a
    browser shows a paragraph as one, and its sentences must not end at a line break."""
    if tree is None:
        return None
    for element in tree.iter():
        if not isinstance(element.tag, str) or _in_pre(element):
            continue
        element.text = element.text and element.text.replace("\n", " ")
        parent = element.getparent()
        if parent is None or not _in_pre(parent):
            element.tail = element.tail and element.tail.replace("\n", " ")
    return tree


def _in_pre(element) -> bool:
    return element.tag == "pre" or any(a.tag == "pre" for a in element.iterancestors())


def _with_inner_prose(main: str, page_text: str) -> str:
    """`main` with every prose paragraph of the page that lies between two of its own
    paragraphs inserted after the line before it, unless a chrome line comes between them."""
    lines = main.split("\n")
    flat, ends = "", []  # `main` normalised, and where each of its lines ends in it
    for line in lines:
        flat += _normalised(line) + " "
        ends.append(len(flat))
    after: dict[int, list[str]] = {}
    reached = -1  # the line of `main` the page has reached
    pending: list[str] = []
    walled = False
    for paragraph in page_text.split("\n"):
        words = words_in(paragraph)
        at = flat.find(_normalised(paragraph), ends[reached - 1] if reached > 0 else 0)
        if at >= 0 and words < 4:
            continue  # "Home", "0.1": found anywhere, they place nothing
        if at < 0:
            if reached >= 0:
                kind = classify(paragraph, words).kind
                walled = walled or kind == "chrome"  # an "Advertisement" label, then the ad
                if kind == "prose" and not walled:
                    pending.append(paragraph)
            continue
        if pending:
            after.setdefault(reached, []).extend(pending)
        reached, pending, walled = max(reached, bisect_right(ends, at)), [], False
    return "\n".join(line for i, own in enumerate(lines) for line in (own, *after.get(i, [])))


_BLOCKS = (
    *("p", "li", "dd", "dt", "td", "th", "tr", "pre", "blockquote", "div", "br", "hr", "table"),
    *("h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "nav", "header", "footer"),
    *("section", "aside", "article", "main", "form", "figure", "figcaption", "body"),
)


def _page_paragraphs(tree) -> list[str]:
    """The page's text as a reader sees it, a line per block (a paragraph, a list item, a cell,
    a menu)."""
    if tree is None:
        return []
    for junk in tree.xpath("//script|//style|//noscript|//template|//head"):
        junk.drop_tree()
    for element in tree.iter(*_BLOCKS):
        element.text = "\n" + (element.text or "")
        element.tail = "\n" + (element.tail or "")
    lines = (_normalised(line) for line in tree.text_content().split("\n"))
    return [line for line in lines if line]


def _normalised(text: str) -> str:
    return " ".join(text.split())
