import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.backends.base import Backend, GenerationRequest, register
from ui.app import Services, respond
from ui.settings import UISettings

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


def final_message(services: Services, backend: str) -> str:
    *_, (_, messages, *_) = respond(services, QUESTION, [], [], backend, 5, False)
    return messages[-1]["content"]


def test_the_fallback_answers_while_the_default_model_loads_and_says_so(store_dir):
    services = Services(UISettings(store_dir=store_dir, backend="slow-to-load"))
    warming = threading.Thread(target=services.warm_up, args=(QUESTION,))
    warming.start()
    try:
        pipe, note = services.answering("slow-to-load")
        assert pipe.backend.name == "extractive"
        assert note == "extractive while the slow-to-load model loads"
        shown = final_message(services, "slow-to-load")
        assert "extractive while the slow-to-load model loads · " in shown
        assert 'class="cite"' in shown  # a real, cited answer meanwhile
    finally:
        LOADED.set()
        warming.join(timeout=60)
    pipe, note = services.answering("slow-to-load")
    assert (pipe.backend.name, note) == ("slow-to-load", "")


def test_without_a_fallback_or_with_an_extractive_default_nothing_stands_in(store_dir):
    LOADED.set()
    extractive = Services(UISettings(store_dir=store_dir, backend="extractive"))
    assert extractive.answering("extractive")[1] == ""
    alone = Services(UISettings(store_dir=store_dir, backend="slow-to-load", fallback=""))
    pipe, note = alone.answering("slow-to-load")  # waits for the model instead
    assert (pipe.backend.name, note) == ("slow-to-load", "")
