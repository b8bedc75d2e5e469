"""The page's answer handler over a real index, with a scripted generative backend: the checked
first answer at once with its sources, the model's draft never shown, and then either the
model's answer (with a note) or the first answer left as it was."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.backends.base import Backend, BackendError, GenerationRequest, register
from ui import render
from ui.app import examples, respond, services_for
from ui.settings import UISettings

QUESTION = "Why did Azerbaijan and Iran return to the negotiating table?"
PLAN = {"mode": "pass"}


@register("scripted-refiner")
class ScriptedRefiner(Backend):
    """A generative backend following PLAN, writing word by word: "pass" answers with the
    first and fourth evidence sentences it is given, each cited (an answer the checks keep);
    "fail" claims what no document says; "crash" fails after its first words."""

    def execute(self, request: GenerationRequest, stream: bool = True) -> Iterator[str]:
        first, fourth = request.passages[0], request.passages[3]
        text = {
            "pass": f"{first.text} [{first.n}] {fourth.text} [{fourth.n}]",
            "fail": f"It was decided on the Moon in 1850 by twelve penguins [{first.n}].",
        }.get(PLAN["mode"], "Penguins say")
        yield from (f"{word} " for word in text.split())
        if PLAN["mode"] == "crash":
            raise BackendError("the scripted model crashed")


@pytest.fixture(scope="module")
def services(corpus_store):
    store_dir = Path(corpus_store.client.get_settings().persist_directory)
    return services_for(UISettings(store_dir=store_dir, backend="scripted-refiner"))


def replies(services, mode: str) -> list[tuple]:
    """Every update of the page, as the browser receives it (the handler reuses its lists)."""
    PLAN["mode"] = mode
    steps = respond(services, QUESTION, [], [], "scripted-refiner", 5, False)
    return [(box, list(messages), *rest) for box, messages, *rest in steps]


def shown(reply: tuple) -> str:
    return reply[1][-1]["content"]


@pytest.mark.parametrize("mode", ["pass", "fail", "crash"])
def test_the_first_answer_comes_at_once_and_the_draft_is_never_shown(services, mode):
    steps = replies(services, mode)
    first = next(step for step in steps if "is refining it" in shown(step))
    assert "checked extractive answer · the scripted-refiner model is refining it…" in shown(first)
    assert 'class="cite"' in shown(first)  # the first answer, cited
    first_answer = first[2][-1]
    assert first_answer.backend == "scripted-refiner+extractive"
    assert f'id="src-1-{first_answer.citations[0].n}"' in first[3]  # its sources, at once
    final = steps[-1][2][-1]
    written = final.sentences[-1].text if final.refined_by else "Penguins"
    assert all(written not in shown(step) for step in steps[:-1])
    assert "Penguins" not in shown(steps[-1])


def test_a_model_answer_that_passes_replaces_the_first_with_a_note(services):
    steps = replies(services, "pass")
    first, final = steps[1][2][-1], steps[-1][2][-1]
    assert final.refined_by == "scripted-refiner" and final.answer != first.answer
    assert "refined by scripted-refiner" in shown(steps[-1])
    assert 'class="status refined"' in shown(steps[-1])
    assert final.sentences[-1].text.split()[0] in shown(steps[-1])


@pytest.mark.parametrize(
    ("mode", "says"),
    [
        ("fail", "the scripted-refiner model's answer did not pass the checks"),
        ("crash", "the scripted-refiner model failed"),
    ],
)
def test_a_model_answer_that_fails_leaves_the_first_answer(services, mode, says):
    steps = replies(services, mode)
    first, final = steps[1][2][-1], steps[-1][2][-1]
    assert final.refined_by is None and not final.error
    assert final.answer == first.answer and final.citations == first.citations
    assert render.esc(says) in shown(steps[-1]) and "penguins" not in shown(steps[-1])
    before, after = (
        shown(steps[1]).split('<div class="status'),
        shown(steps[-1]).split('<div class="status'),
    )
    assert before[0] == after[0]  # the answer itself does not change: no flicker


def test_examples_come_from_the_documents_or_the_settings(services, corpus_store):
    titles = [doc.metadata.get("title") for doc in corpus_store.documents().values()]
    offered = examples(services)
    assert offered and all(any(t and t in q for t in titles) for q in offered)
    chosen = services_for(services.settings.model_copy(update={"ui_examples": ["Why?"]}))
    assert examples(chosen) == ["Why?"]
