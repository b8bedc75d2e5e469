"""`eval.bench.page` reads how a reply ended from the line the page writes under it: the page's
own lines (`ui.app._status`, `ui.render.answer_html`) must classify as what they say."""

from __future__ import annotations

import re

import pytest

from eval.bench.page import outcome
from rag.services.answering import Reply
from rag.types import Answer
from ui import render
from ui.app import _status

REPLY = Reply(backend="llamacpp", fallback="extractive", note="", events=iter(()))


def status_line(answer: Answer, status: str = "") -> str:
    """The status line's text in the answer's HTML ("" without one)."""
    found = re.search(
        r'<div class="status[^"]*">([^<]*)</div>', render.answer_html(answer, 1, 1.0, status=status)
    )
    return found.group(1) if found else ""


def answer(**fields) -> Answer:
    return Answer(question="q", answer="It opened in 2024.", backend="llamacpp", **fields)


@pytest.mark.parametrize(
    ("final", "expected"),
    [
        (answer(refined_by="llamacpp"), "refined"),
        (answer(), "kept first"),
        (answer(error="the model crashed"), "model failed"),
    ],
)
def test_a_reply_under_a_first_answer_is_classified_by_its_status_line(final, expected):
    assert outcome(status_line(final, _status(REPLY, final)), error=False) == expected


def test_a_reply_given_at_once_has_no_status_line_and_the_refining_one_is_not_final():
    assert outcome(status_line(answer()), error=False) == "at once"
    assert "refining" in _status(REPLY, None)  # the page's timer waits past this line
    assert outcome("", error=True) == "error"
