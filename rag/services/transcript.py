"""A chat as Markdown: every question, its answer with `[n]` markers, and each marker's
exact quote with the document's title (and page, where the document has pages)."""

from __future__ import annotations

from collections.abc import Sequence

from rag.types import Answer, Citation


def _source(citation: Citation) -> str:
    details = citation.model_dump(include={"publisher", "date", "page"}, exclude_none=True)
    where = ", ".join(
        f"page {value}" if name == "page" else str(value) for name, value in details.items()
    )
    return f"*{citation.title}*" + (f" ({where})" if where else "")


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" for line in text.splitlines() or [""])


def chat_markdown(title: str, answers: Sequence[Answer]) -> str:
    parts = [f"# {title}"]
    for answer in answers:
        parts.append(f"## {answer.question}")
        parts.append(f"**Error:** {answer.error}" if answer.error else answer.answer)
        for citation in answer.citations:
            parts.append(f"[{citation.n}] {_source(citation)}, `{citation.doc_id}`:")
            parts.append(_quote(citation.quote))
    return "\n\n".join(parts) + "\n"
