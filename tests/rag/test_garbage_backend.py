"""A backend that misbehaves: no markers, invented markers, empty text, an exception, a hang.
Whatever it does, the user gets the retrieved passages and a clear message, and no citation is
shown that is not an exact quote of an indexed document. The backend is registered the way a
third-party one would be; the slow and dead servers are real sockets on 127.0.0.1."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

import pytest
from corpus import SEEDS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic_settings import SettingsConfigDict

from rag.backends.base import (
    Backend,
    BackendError,
    BackendOptions,
    GenerationRequest,
    create_backend,
    register,
)
from rag.pipeline import AnswerPipeline
from rag.prompt import NOT_FOUND
from rag.types import Answer, Completed
from ui import render

QUESTION = "How long will the railway between Turkey and Iran be?"
MARKER = re.compile(r"\[\s*(\d{1,3})(?:\s*,\s*\d{1,3})*\s*\]")  # what reads as [n]
CITE_LINK = re.compile(r'<a class="cite"[^>]*>\[(\d+)\]</a>')

Reply = str | BaseException | Callable[[GenerationRequest], Iterator[str]]


@register("garbage")
class Garbage(Backend):
    """Replies with the text it is given, word by word, or raises what it is given."""

    class Options(BackendOptions):
        model_config = SettingsConfigDict(env_prefix="RAG_GARBAGE_")
        reply: Any = ""

    def execute(self, request: GenerationRequest, stream: bool = True) -> Iterator[str]:
        reply: Reply = self.options.reply
        if isinstance(reply, BaseException):
            raise reply
        if callable(reply):
            yield from reply(request)
            return
        for i, word in enumerate(reply.split(" ")):
            yield word if i == 0 else " " + word


def pipeline(answer_with, reply: Reply) -> AnswerPipeline:
    return served(answer_with, "garbage", reply=reply)


def served(answer_with, backend: str, **options) -> AnswerPipeline:
    """The real pipeline over the real store, with a backend made through the registry."""
    return answer_with(create_backend(backend, **options))


@cache
def source(doc_id: str) -> str:
    return (SEEDS / doc_id).read_text(encoding="utf-8")


def assert_nothing_invented(answer: Answer) -> None:
    """Every marker the user can see names a citation, and every citation is an exact quote."""
    numbers = {c.n for c in answer.citations}
    assert [c.n for c in answer.citations] == list(range(1, len(numbers) + 1))
    for citation in answer.citations:
        assert source(citation.doc_id)[citation.start : citation.end] == citation.quote
    assert {int(n) for n in MARKER.findall(answer.answer)} <= numbers, answer.answer
    for sentence in answer.sentences:
        assert set(sentence.citations) <= numbers
        assert not MARKER.search(sentence.text), sentence.text
    shown = render.answer_html(answer, 1, 0.1)
    assert {int(n) for n in CITE_LINK.findall(shown)} <= numbers
    assert answer.retrieved, "the passages are always offered"


def assert_failed_clearly(answer: Answer, *needles: str) -> None:
    assert answer.error and answer.citations == [] and answer.retrieved
    for needle in needles:
        assert needle in answer.error, answer.error
    shown = render.answer_html(answer, 1, 0.1)
    assert "failed" in shown and "passages retrieved" in shown and 'class="cite"' not in shown
    assert_nothing_invented(answer)


# --- text that is not an answer -----------------------------------------------------------------


def test_no_markers_get_verified_citations_or_none(answer_with):
    reply = "Reports say that this railway will be approximately 200 kilometers long"
    answer = pipeline(answer_with, reply).ask(QUESTION)
    assert not answer.abstained and "200" in answer.citations[0].quote
    assert_nothing_invented(answer)


def test_invented_markers_are_never_shown(answer_with):
    reply = "The railway will be about 200 kilometers long [9]. It is made of cheese [42] [0]."
    answer = pipeline(answer_with, reply).ask(QUESTION)
    assert_nothing_invented(answer)
    assert "[9]" not in answer.answer and "[42]" not in answer.answer
    cheese = next(s for s in answer.sentences if "cheese" in s.text)
    assert not cheese.supported and not cheese.citations


@pytest.mark.parametrize("reply", ["", "   \n ", "[1] [2] [3]", "[9]", ".", "…"])
def test_empty_text_is_an_abstention_with_the_passages(answer_with, reply):
    answer = pipeline(answer_with, reply).ask(QUESTION)
    assert answer.abstained and answer.answer == NOT_FOUND and answer.citations == []
    assert_nothing_invented(answer)


# --- a backend that fails -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "error",
    [
        BackendError("the model crashed"),
        RuntimeError("a third-party backend's own bug"),
        KeyError("choices"),
        MemoryError(),
    ],
    ids=["backend-error", "runtime-error", "key-error", "memory-error"],
)
def test_an_exception_gives_the_passages_and_a_message(answer_with, error):
    answer = pipeline(answer_with, error).ask(QUESTION)
    expected = "crashed" if isinstance(error, BackendError) else type(error).__name__
    assert_failed_clearly(answer, expected)


def test_a_failing_backend_in_a_follow_up_gives_the_passages(answer_with):
    history = [("How long is the railway?", "About 200 kilometers [1].")]
    pipe = pipeline(answer_with, RuntimeError("no condense either"))
    answer = pipe.ask("And what will it cost?", history)
    assert_failed_clearly(answer, "RuntimeError")


@pytest.mark.parametrize("markers", ["[1, 2]", "[ 1 ]", "[1,2] [7]"])
def test_markers_in_other_shapes_are_read_as_markers(answer_with, markers):
    reply = f"Reports say that this railway will be approximately 200 kilometers long {markers}."
    answer = pipeline(answer_with, reply).ask(QUESTION)
    assert_nothing_invented(answer)
    assert not answer.abstained and answer.sentences[0].citations, answer.answer
    assert markers not in answer.answer


def test_a_failure_mid_stream_shows_no_partial_answer(answer_with):
    def half(request: GenerationRequest) -> Iterator[str]:
        yield "The railway will be approximately 200 kilometers long [1]."
        raise BackendError("the connection dropped")

    events = list(pipeline(answer_with, half).stream(QUESTION))
    assert isinstance(events[-1], Completed)
    answer = events[-1].answer
    assert_failed_clearly(answer, "dropped")
    assert answer.answer == "", "text streamed before the failure is not kept as the answer"


# --- servers that are slow, silent or gone: the real openai backend over real sockets ------------


class Silent:
    """A TCP server on 127.0.0.1 that reads requests and then says nothing, or sends a stream's
    first event and stalls."""

    def __init__(self, first_event: bool) -> None:
        self.first_event = first_event
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            self.connections.append(connection)
            connection.recv(65536)
            if self.first_event:
                event = (
                    'data: {"id":"1","object":"chat.completion.chunk","created":0,"model":"m",'
                    '"choices":[{"index":0,"delta":{"content":"The railway"},'
                    '"finish_reason":null}]}\n\n'
                )
                connection.sendall(
                    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                    b"transfer-encoding: chunked\r\n\r\n"
                    + f"{len(event):x}\r\n{event}\r\n".encode()
                )

    def close(self) -> None:
        self.sock.close()
        for connection in self.connections:
            connection.close()


@pytest.mark.parametrize("first_event", [False, True], ids=["silent", "stalls-mid-stream"])
def test_a_slow_server_times_out_with_the_passages(answer_with, first_event):
    server = Silent(first_event)
    url = f"http://127.0.0.1:{server.port}/v1"
    try:
        started = time.monotonic()
        pipe = served(answer_with, "openai", base_url=url, timeout=1.0, max_retries=0)
        answer = pipe.ask(QUESTION)
        assert time.monotonic() - started < 30
    finally:
        server.close()
    assert_failed_clearly(answer, f"127.0.0.1:{server.port}", "timed out")


def test_a_server_that_is_down_gives_the_passages(answer_with):
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]  # closed when the block ends: nothing listens there
    url = f"http://127.0.0.1:{port}/v1"
    pipe = served(answer_with, "openai", base_url=url, timeout=5.0, max_retries=0)
    answer = pipe.ask(QUESTION)
    assert_failed_clearly(answer, f"127.0.0.1:{port}")


# --- any text at all ----------------------------------------------------------------------------

SENTENCES = [
    "Reports say that this railway will be approximately 200 kilometers long.",
    "Iranian officials estimate the total cost at around $1.6 billion.",
    "The treaty has 47 articles.",
    "The moon treaty was signed in 1066.",
]
pieces = st.one_of(
    st.sampled_from(SENTENCES),
    st.integers(-5, 5000).map(lambda n: f"[{n}]"),
    st.sampled_from(["[", "]", "[1", "1]", "[[2]]", "[1,2]", "[ 3 ]", "【1】", ". ", "\n", "<b>"]),
    st.text(max_size=30),
)


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(reply=st.lists(pieces, max_size=12).map(" ".join))
def test_whatever_the_backend_says_no_citation_is_invented(answer_with, reply):
    answer = pipeline(answer_with, reply).ask(QUESTION)
    assert answer.error is None
    assert_nothing_invented(answer)
    if answer.abstained:
        assert answer.citations == [] and answer.answer == NOT_FOUND
