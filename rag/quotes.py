"""Quotes are the spine of trust: a quote is shown only if one slice of its source gives it
back, and it is shown inside its paragraph."""

from __future__ import annotations

CONTEXT_CHARS = 320  # at most this much paragraph on each side of a quote


def verified(source_text: str | None, start: int, end: int, quote: str) -> bool:
    """The quote is exactly this slice of the source."""
    return (
        bool(quote)
        and source_text is not None
        and 0 <= start <= end <= len(source_text)
        and source_text[start:end] == quote
    )


def paragraph(
    source: str, start: int, end: int, limit: int = CONTEXT_CHARS
) -> tuple[str, str, str]:
    """(before, quote, after): the quote inside its paragraph, cut to `limit` chars each side.

    The paragraph runs from the line break before the quote to the line break after it;
    a cut side is shortened to a word boundary and marked with an ellipsis.
    """
    left = source.rfind("\n", 0, start) + 1
    right = source.find("\n", end)
    right = len(source) if right == -1 else right
    before, after = source[left:start], source[end:right]
    if len(before) > limit:
        cut = before[-limit:]
        before = "…" + cut[cut.find(" ") + 1 :] if " " in cut else "…" + cut
    if len(after) > limit:
        cut = after[:limit]
        after = (cut[: cut.rfind(" ")] if " " in cut else cut) + "…"
    return before.lstrip(), source[start:end], after.rstrip()


def touching(text: str, one: tuple[int, int], other: tuple[int, int]) -> bool:
    """Overlapping, or separated by nothing but whitespace (never by removed boilerplate)."""
    (_, b), (c, _) = sorted([one, other])
    return c <= b or not text[b:c].strip()


def merge_spans(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans of `text` merged where they touch."""
    merged: list[tuple[int, int]] = []
    for span in sorted(spans):
        if merged and touching(text, merged[-1], span):
            merged[-1] = (merged[-1][0], max(span[1], merged[-1][1]))
        else:
            merged.append(span)
    return merged


def shorten(text: str, limit: int) -> str:
    """Whitespace collapsed, cut to `limit` characters with an ellipsis (for display only)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
