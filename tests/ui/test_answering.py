"""The page, /ask and /v1 answer through the one answering service, served for real (Gradio
and FastAPI on one port, Debian's chromium), with a scripted generative backend registered
here: while its model loads, all three answer with the fallback; once it is loaded, the page
shows the checked first answer at once and then the model's answer (with a note) or the first
answer left as it was; and 100 requests at once across the three never run more answers at
once than the service's limit."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from browsing import CHROMIUM, TIMEOUT_MS, ask, last_answer, open_page, shoot
from ports import free_port

from rag.backends.base import Backend, GenerationRequest, register
from rag.services.answering import ANSWERS_AT_ONCE

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium"),
]
MODEL = "scripted-model"
WHY = "Why did Azerbaijan and Iran return to the negotiating table?"  # the model is asked
LOADED = threading.Event()  # the scripted model finishes loading when set
PLAN: dict = {"mode": "decline", "hold": None, "delay": 0.0}


class Calls:
    """How many `execute` calls run at once, and the most that ever did."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.active = self.peak = self.total = 0

    def __enter__(self) -> None:
        with self.lock:
            self.active += 1
            self.total += 1
            self.peak = max(self.peak, self.active)

    def __exit__(self, *_) -> None:
        with self.lock:
            self.active -= 1


CALLS = Calls()


@register(MODEL)
class ScriptedModel(Backend):
    """A generative backend whose model loads when LOADED is set and which writes as PLAN says:
    "pass" the first and fourth evidence sentences it is given, each cited (kept by the checks);
    "fail" a claim no document makes; "decline" that the documents don't say. With
    PLAN["hold"] (an Event) it writes only once that is set; PLAN["delay"] seconds it takes."""

    def __init__(self, options=None, embed=None) -> None:
        super().__init__(options, embed)
        assert LOADED.wait(timeout=300), "the test never let the model load"

    def execute(self, request: GenerationRequest, stream: bool = True) -> Iterator[str]:
        with CALLS:
            if PLAN["hold"] is not None:
                assert PLAN["hold"].wait(timeout=120), "the test never let the model write"
            time.sleep(PLAN["delay"])
        first, fourth = request.passages[0], request.passages[3]
        text = {
            "pass": f"{first.text} [{first.n}] {fourth.text} [{fourth.n}]",
            "fail": f"It was decided on the Moon in 1850 by twelve penguins [{first.n}].",
        }.get(PLAN["mode"], request.not_found or "The documents don't say.")
        yield from (f"{word} " for word in text.split())


@pytest.fixture(scope="module")
def served(corpus_store):
    from ui.app import build_app, launch, services_for
    from ui.settings import UISettings

    settings = UISettings(
        store_dir=Path(corpus_store.client.get_settings().persist_directory),
        ui_port=free_port(),
        backend=MODEL,
    )
    services = services_for(settings)
    demo = build_app(settings, services)
    launch(demo, settings, block=False)
    yield f"http://127.0.0.1:{settings.ui_port}", services
    LOADED.set()  # the warm-up thread ends
    demo.close()


@pytest.fixture(scope="module")
def loaded(served):
    """The model loaded and warmed up."""
    _, services = served
    LOADED.set()
    deadline = time.monotonic() + 300
    while services.answering.warming and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not services.answering.warming
    return served


@pytest.fixture
def plan():
    yield PLAN
    PLAN.update(mode="decline", hold=None, delay=0.0)


def gradio_client(url: str):
    from gradio_client import Client

    return Client(url, verbose=False, download_files=False, httpx_kwargs={"timeout": 300})


def v1(url: str, question: str, model: str = MODEL) -> httpx.Response:
    body = {"model": model, "messages": [{"role": "user", "content": question}]}
    return httpx.post(f"{url}/v1/chat/completions", json=body, timeout=300)


def test_while_the_model_loads_the_page_ask_and_v1_answer_with_the_fallback(served, page):
    url, services = served
    assert services.answering.warming and not LOADED.is_set()

    ask(page, WHY)
    answer = last_answer(page)
    assert f"extractive while the {MODEL} model loads" in answer.locator(".meta").inner_text()
    assert answer.locator("a.cite").count() >= 1

    scripted = gradio_client(url).predict(question=WHY, api_name="/ask")
    assert scripted["backend"] == "extractive" and scripted["citations"]

    response = v1(url, WHY)
    assert response.status_code == 200 and response.json()["citations"]
    assert response.json()["choices"][0]["message"]["content"] == scripted["answer"]

    assert services.answering.warming and CALLS.total == 0  # the model never answered


def _answer_text(page) -> str:
    return last_answer(page).locator(".answer").inner_text()


def _refining(page, plan, mode: str) -> str:
    """Ask WHY with the model held back; the first answer's text, once it is on screen."""
    plan.update(mode=mode, hold=threading.Event())
    page.locator("#question textarea").fill(WHY)
    page.keyboard.press("Enter")
    status = page.locator("#chat .status", has_text="is refining it")
    status.wait_for()
    assert f"checked extractive answer · the {MODEL} model is refining it…" in status.inner_text()
    assert not plan["hold"].is_set()  # the model has not written a word yet
    assert last_answer(page).locator("a.cite").count() >= 1
    assert page.locator("#src-1-1 mark.quote").is_visible()  # its sources, at once
    return _answer_text(page)


def test_the_first_answer_is_shown_at_once_and_a_kept_model_answer_replaces_it(loaded, page, plan):
    first = _refining(page, plan, "pass")
    shoot(page, "first-answer-refining")
    plan["hold"].set()
    note = page.locator("#chat .status.refined")
    note.wait_for()
    assert note.inner_text() == f"refined by {MODEL}"
    refined = _answer_text(page)
    assert refined != first  # the model's own answer, cited
    assert last_answer(page).locator("a.cite").count() >= 1
    shoot(page, "first-answer-refined")


def test_a_model_answer_that_fails_the_checks_leaves_the_first_answer(loaded, page, plan):
    first = _refining(page, plan, "fail")
    plan["hold"].set()
    status = page.locator("#chat .status", has_text="did not pass the checks")
    status.wait_for()
    assert "this is the extractive answer" in status.inner_text()
    assert _answer_text(page) == first
    assert "penguins" not in page.locator("#chat").inner_text()


def test_a_hundred_requests_across_the_page_ask_and_v1_stay_within_the_limit(loaded, browser, plan):
    url, services = loaded
    assert services.answering.slots.limit == ANSWERS_AT_ONCE
    plan.update(mode="pass", delay=0.3)
    CALLS.peak, CALLS.total = 0, 0
    pages = [open_page(browser, url) for _ in range(4)]
    opened = [context.__enter__() for context in pages]
    try:
        for page in opened:
            page.locator("#question textarea").fill(WHY)
            page.keyboard.press("Enter")
        client = gradio_client(url)
        jobs = [client.submit(question=WHY, api_name="/ask") for _ in range(48)]
        with ThreadPoolExecutor(48) as pool:
            responses = list(pool.map(lambda _: v1(url, WHY), range(48)))
        answers = [job.result(timeout=TIMEOUT_MS / 1000) for job in jobs]
        for page in opened:
            page.locator("#chat .status.refined").wait_for()
    finally:
        for context in pages:
            context.__exit__(None, None, None)
    assert [r.status_code for r in responses] == [200] * 48
    assert all(a["refined_by"] == MODEL and a["citations"] for a in answers)
    assert CALLS.total == 100
    assert 2 <= CALLS.peak <= ANSWERS_AT_ONCE, CALLS.peak
