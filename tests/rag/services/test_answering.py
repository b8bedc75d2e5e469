"""The answering service over a real index: the fallback while the default model loads, the
bounds every client shares, and the one limit on answers at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.backends.base import Backend, GenerationRequest, register
from rag.services.answering import Answering, Slots
from rag.settings import TOP_K_MAX, Settings
from rag.types import QuestionError

LOADED = threading.Event()  # the "model" of the backend below finishes loading when set
QUESTION = "How long will the railway between Turkey and Iran be?"


@register("slow-to-load")
class SlowToLoad(Backend):
    """A generative backend whose model takes until LOADED to load; it answers by declining."""

    def __init__(self, options=None, embed=None) -> None:
        super().__init__(options, embed)
        assert LOADED.wait(timeout=60), "the test never let the model load"

    def execute(self, request: GenerationRequest, stream: bool = True) -> Iterator[str]:
        yield request.not_found or "The documents don't say."


@pytest.fixture
def store_dir(corpus_store) -> Path:
    return Path(corpus_store.client.get_settings().persist_directory)


def test_the_fallback_answers_while_the_default_model_loads_and_says_so(store_dir):
    answering = Answering(Settings(store_dir=store_dir, backend="slow-to-load"))
    warming = answering.warm_up_in_background(QUESTION)
    try:
        assert answering.warming
        pipe, note = answering.choose()
        assert pipe.backend.name == "extractive"
        assert note == "extractive while the slow-to-load model loads"
        reply = answering.stream(QUESTION)
        assert (reply.backend, reply.note) == ("extractive", note)
        assert answering.ask(QUESTION).citations  # a real, cited answer meanwhile
    finally:
        LOADED.set()
        warming.join(timeout=60)
    assert not answering.warming
    pipe, note = answering.choose()
    assert (pipe.backend.name, note) == ("slow-to-load", "")


def test_without_a_warm_up_a_fallback_or_with_an_extractive_default_nothing_stands_in(store_dir):
    LOADED.set()
    extractive = Answering(Settings(store_dir=store_dir, backend="extractive"))
    extractive.warm_up_in_background(QUESTION).join(timeout=60)
    assert extractive.choose()[1] == ""
    alone = Answering(Settings(store_dir=store_dir, backend="slow-to-load", fallback=""))
    warming = alone.warm_up_in_background(QUESTION)
    pipe, note = alone.choose()  # waits for the model instead
    assert (pipe.backend.name, note) == ("slow-to-load", "")
    warming.join(timeout=60)
    never_warmed = Answering(Settings(store_dir=store_dir, backend="slow-to-load"))
    assert never_warmed.choose()[0].backend.name == "slow-to-load"  # `rag serve`: no warm-up


def test_top_k_has_one_bound_for_every_client(store_dir):
    answering = Answering(Settings(store_dir=store_dir, backend="extractive"))
    for wrong in (0, -1, TOP_K_MAX + 1):
        with pytest.raises(QuestionError, match=f"top_k must be between 1 and {TOP_K_MAX}"):
            answering.stream(QUESTION, top_k=wrong)
    assert len(answering.ask(QUESTION, top_k=TOP_K_MAX).retrieved) > 5
    assert len(answering.ask(QUESTION, top_k=1).retrieved) == 1


def _peak(limit: int, holders: int) -> int:
    """The most holders of `Slots(limit)` at once, with `holders` threads each holding a while."""
    slots, active, peak, count = Slots(limit), [0], [0], threading.Lock()

    def hold() -> None:
        with slots.held():
            with count:
                active[0] += 1
                peak[0] = max(peak[0], active[0])
            time.sleep(0.02)
            with count:
                active[0] -= 1

    threads = [threading.Thread(target=hold) for _ in range(holders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert slots.waiting == 0
    return peak[0]


def test_slots_never_let_more_than_the_limit_hold_at_once():
    assert _peak(3, 30) == 3
    assert _peak(30, 30) > 3  # the count above would see more, were they let in
