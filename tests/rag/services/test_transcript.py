"""A chat as Markdown: each question, its answer, and each citation's title and exact quote."""

from __future__ import annotations

from rag.services.transcript import chat_markdown
from rag.types import Answer, Citation


def test_every_answer_with_its_quotes_and_titles():
    cited = Answer(
        question="How long will the railway be?",
        answer="About 200 kilometers. [1]",
        citations=[
            Citation(n=1, doc_id="rail.txt", title="Ankara and Tehran", quote="approximately 200 "
                     "kilometers long.\nA second line.", start=5, end=40, score=1.0,
                     publisher="Alwaght", date="2025-12-01"),
        ],
        backend="extractive",
    )  # fmt: skip
    declined = Answer(question="Capital of Peru?", answer="The documents don't say.",
                      abstained=True, backend="extractive")  # fmt: skip
    failed = Answer(question="Why?", answer="", error="server down", backend="openai")
    text = chat_markdown("Railway", [cited, declined, failed])
    assert text.startswith(
        "# Railway\n\n## How long will the railway be?\n\nAbout 200 kilometers. [1]"
    )
    assert "[1] *Ankara and Tehran* (Alwaght, 2025-12-01), `rail.txt`:" in text
    assert "> approximately 200 kilometers long.\n> A second line." in text
    assert "## Capital of Peru?\n\nThe documents don't say." in text
    assert "## Why?\n\n**Error:** server down" in text
    assert text.count("[1] *") == 1  # only cited answers list sources
