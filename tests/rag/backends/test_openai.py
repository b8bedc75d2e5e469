"""The OpenAI-compatible backend against a real llama.cpp server, and against nothing at all."""

from __future__ import annotations

import re
import time

import pytest
from ports import free_port

from rag.backends.base import BackendError, GenerationRequest, create_backend
from rag.prompt import EVIDENCE_SYSTEM, evidence_prompt
from rag.types import Passage

RAIL = "Reports say that the new railway will be approximately 200 kilometers long."
PASSAGE = Passage(
    n=1,
    chunk_id="rail",
    doc_id="rail.txt",
    title="Railway",
    text=RAIL,
    start=0,
    end=len(RAIL),
    score=1.0,
)
QUESTION = "How long will the new railway be?"
REQUEST = GenerationRequest(
    question=QUESTION,
    passages=[PASSAGE],
    system=EVIDENCE_SYSTEM,
    prompt=evidence_prompt(QUESTION, [PASSAGE]),
)


@pytest.fixture
def down_url() -> str:
    return f"http://127.0.0.1:{free_port()}/v1"


@pytest.mark.slow
def test_it_streams_an_answer_from_a_real_server(llama_server):
    backend = create_backend("openai", base_url=llama_server, model="local", max_tokens=40)
    pieces = list(backend.execute(REQUEST, stream=True))
    assert len(pieces) > 1
    assert "200" in "".join(pieces)


@pytest.mark.slow
def test_without_streaming_the_answer_comes_in_one_piece(llama_server):
    backend = create_backend("openai", base_url=llama_server, max_tokens=40)
    pieces = list(backend.execute(REQUEST, stream=False))
    assert len(pieces) == 1 and "200" in pieces[0]


def test_a_server_that_is_down_fails_fast_naming_its_url(down_url):
    backend = create_backend("openai", base_url=down_url, timeout=5)
    started = time.monotonic()
    with pytest.raises(BackendError, match=re.escape(f"cannot reach the LLM server at {down_url}")):
        list(backend.execute(REQUEST))
    assert time.monotonic() - started < 10


def test_a_url_without_a_scheme_is_refused():
    with pytest.raises(BackendError, match="must start with http:// or https://"):
        create_backend("openai", base_url="127.0.0.1:8080/v1")


def test_the_pipeline_reports_a_down_server_with_the_retrieved_passages(answer_with, down_url):
    pipeline = answer_with(create_backend("openai", base_url=down_url, timeout=5))
    answer = pipeline.ask("How long is the planned new railway between Iran and Turkey?")
    assert answer.error is not None and down_url in answer.error
    assert answer.retrieved
    assert answer.citations == []
