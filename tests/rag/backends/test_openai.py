"""The OpenAI-compatible backend against a real llama.cpp server, and against nothing at all."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from rag.backends.base import BackendError, GenerationRequest, create_backend
from rag.pipeline import AnswerConfig, AnswerPipeline
from rag.prompt import SYSTEM, user_prompt
from rag.retrieval import HybridRetriever, RetrievalConfig
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
    question=QUESTION, passages=[PASSAGE], system=SYSTEM, prompt=user_prompt(QUESTION, [PASSAGE])
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server_url(model_path, tmp_path_factory):
    """`python -m llama_cpp.server` on a free loopback port, stopped after the module."""
    port = free_port()
    log = tmp_path_factory.mktemp("llm-server") / "server.log"
    options = f"--host 127.0.0.1 --port {port} --n_ctx 2048 --n_threads 2".split()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(model_path), *options]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                pytest.fail(f"the llama.cpp server exited:\n{log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{url}/models", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the llama.cpp server never answered:\n{log.read_text()[-2000:]}")
            time.sleep(0.25)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def down_url() -> str:
    return f"http://127.0.0.1:{free_port()}/v1"


@pytest.mark.slow
def test_it_streams_an_answer_from_a_real_server(server_url):
    backend = create_backend("openai", base_url=server_url, model="local", max_tokens=40)
    pieces = list(backend.execute(REQUEST, stream=True))
    assert len(pieces) > 1
    assert "200" in "".join(pieces)


@pytest.mark.slow
def test_complete_goes_through_the_same_server(server_url):
    backend = create_backend("openai", base_url=server_url, max_tokens=40)
    reply = backend.complete("What is the capital of France? Reply with the city name only.")
    assert "paris" in reply.lower()


def test_a_server_that_is_down_fails_fast_naming_its_url(down_url):
    backend = create_backend("openai", base_url=down_url, timeout=5)
    started = time.monotonic()
    with pytest.raises(BackendError, match=re.escape(f"cannot reach the LLM server at {down_url}")):
        list(backend.execute(REQUEST))
    assert time.monotonic() - started < 10


def test_a_url_without_a_scheme_is_refused():
    with pytest.raises(BackendError, match="must start with http:// or https://"):
        create_backend("openai", base_url="127.0.0.1:8080/v1")


def test_the_pipeline_reports_a_down_server_with_the_retrieved_passages(
    corpus_store, embedder, down_url
):
    pipeline = AnswerPipeline(
        HybridRetriever(corpus_store, embedder, RetrievalConfig()),
        create_backend("openai", base_url=down_url, timeout=5),
        AnswerConfig(),
    )
    answer = pipeline.ask("How long is the planned new railway between Iran and Turkey?")
    assert answer.error is not None and down_url in answer.error
    assert answer.retrieved
    assert answer.citations == []
