"""The OpenAI-compatible API, served by the chat page's own server over a real index, used
through the real `openai` client, curl and plain HTTP (extractive backend: no model)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from ports import free_port

from eval.processes import ServerProcess
from rag.backends.base import available
from rag.settings import TOP_K_MAX
from rag.types import Citation
from ui.access import check_api_key
from ui.api import citation_json
from ui.settings import UISettings

openai = pytest.importorskip("openai")

KEY = "test-key-123"
RAILWAY = "How long will the Iran-Turkey railway be?"
RAG = str(Path(sys.executable).parent / "rag")


@pytest.fixture(scope="module")
def server(corpus_store):
    from ui.app import build_app, launch

    down = f"http://127.0.0.1:{free_port()}/v1"  # the openai backend's server is down
    settings = UISettings(
        store_dir=Path(corpus_store.client.get_settings().persist_directory),
        ui_port=free_port(),
        backend="extractive",
        api_key=KEY,
        backend_options={"openai": {"base_url": down}},
    )
    demo = build_app(settings)
    launch(demo, settings, block=False)
    yield f"http://127.0.0.1:{settings.ui_port}/v1"
    demo.close()


@pytest.fixture
def client(server):
    return openai.OpenAI(base_url=server, api_key=KEY, max_retries=0, timeout=60)


def post(server: str, body: bytes | str, key: str = KEY) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    return httpx.post(f"{server}/chat/completions", content=body, headers=headers, timeout=60)


def error_of(response: httpx.Response) -> dict:
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"message", "type", "param", "code"}
    return body["error"]


def assert_exact(citations: list[dict], corpus_store) -> None:
    assert citations
    for c in citations:
        assert corpus_store.source_text(c["doc_id"])[c["start"] : c["end"]] == c["quote"]
        assert c["title"] and "before" not in c and "after" not in c


# --- the openai client -----------------------------------------------------------------------


def test_models_are_the_backends(client):
    assert [m.id for m in client.models.list()] == available()


def test_answer_with_citations_in_the_extra_field(client, corpus_store):
    completion = client.chat.completions.create(
        model="extractive", messages=[{"role": "user", "content": RAILWAY}]
    )
    text = completion.choices[0].message.content
    assert "200 kilometers" in text and "[1]" in text
    extra = completion.model_extra
    assert extra["abstained"] is False
    assert_exact(extra["citations"], corpus_store)
    assert {c["n"] for c in extra["citations"]} == {int(n) for n in _markers(text)}


def _markers(text: str) -> list[str]:
    import re

    return re.findall(r"\[(\d+)\]", text)


def test_streamed_answer_is_the_same_answer(client, corpus_store):
    whole = client.chat.completions.create(
        model="extractive", messages=[{"role": "user", "content": RAILWAY}]
    )
    stream = client.chat.completions.create(
        model="extractive", messages=[{"role": "user", "content": RAILWAY}], stream=True
    )
    received = list(stream)
    assert len(received) > 3  # role, words..., the last chunk
    text = "".join(c.choices[0].delta.content or "" for c in received)
    assert text == whole.choices[0].message.content
    last = received[-1]
    assert last.choices[0].finish_reason == "stop"
    assert last.model_extra["citations"] == whole.model_extra["citations"]
    assert_exact(last.model_extra["citations"], corpus_store)


def test_follow_up_uses_the_history(client):
    first = client.chat.completions.create(
        model="extractive", messages=[{"role": "user", "content": RAILWAY}]
    )
    follow_up = client.chat.completions.create(
        model="extractive",
        messages=[
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": RAILWAY},
            {"role": "assistant", "content": first.choices[0].message.content},
            {"role": "user", "content": "How much will it cost?"},
        ],
    )
    assert "1.6 billion" in follow_up.choices[0].message.content
    alone = client.chat.completions.create(
        model="extractive", messages=[{"role": "user", "content": "How much will it cost?"}]
    )
    assert "1.6 billion" not in alone.choices[0].message.content


def test_a_question_the_documents_do_not_answer_is_declined(client):
    completion = client.chat.completions.create(
        model="extractive", messages=[{"role": "user", "content": "What is the capital of Peru?"}]
    )
    assert completion.model_extra == {"citations": [], "abstained": True}
    assert completion.choices[0].message.content == "The documents don't say."


def test_bad_key(server):
    bad = openai.OpenAI(base_url=server, api_key="wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as caught:
        bad.chat.completions.create(model="extractive", messages=[{"role": "user", "content": "x"}])
    assert caught.value.code == "invalid_api_key"
    assert httpx.get(f"{server}/models").status_code == 401  # no key at all


def test_unknown_model(client):
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])
    assert caught.value.code == "model_not_found"
    assert "extractive" in caught.value.message


def test_empty_message(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(
            model="extractive", messages=[{"role": "user", "content": "  "}]
        )
    assert "empty" in caught.value.message
    assert caught.value.param == "messages.0.content"


def test_backend_down_is_a_server_error(client):
    why = "Why did Azerbaijan and Iran return to the negotiating table?"  # the model is asked
    with pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(model="openai", messages=[{"role": "user", "content": why}])
    assert caught.value.status_code == 502
    assert caught.value.code == "backend_error"


def test_an_unexpected_failure_is_a_logged_500_in_openais_shape(caplog):
    from fastapi.testclient import TestClient

    from rag.services.answering import Answering
    from ui.api import create_api

    def broken(backend: str):
        raise RuntimeError("the disk vanished")

    answering = Answering(UISettings(api_key=None))
    answering.pipeline = broken
    api = create_api(UISettings(api_key=None), answering)
    body = {"model": "extractive", "messages": [{"role": "user", "content": RAILWAY}]}
    response = TestClient(api, raise_server_exceptions=False).post("/chat/completions", json=body)
    assert response.status_code == 500
    assert error_of(response)["type"] == "server_error"
    assert "RuntimeError" in error_of(response)["message"]
    assert "the disk vanished" not in response.text  # details go to the log, not the client
    logged = [r for r in caplog.records if r.name == "ui.api" and r.exc_info]
    assert logged and "the disk vanished" in str(logged[0].exc_info[1])


# --- curl ------------------------------------------------------------------------------------


def curl(*args: str) -> str:
    command = ["curl", "-sS", "--noproxy", "*", "-H", f"Authorization: Bearer {KEY}", *args]
    return subprocess.run(command, capture_output=True, text=True, check=True, timeout=60).stdout


def test_curl_streams_server_sent_events(server, corpus_store):
    body = json.dumps(
        {"model": "extractive", "stream": True, "messages": [{"role": "user", "content": RAILWAY}]}
    )
    out = curl("-N", f"{server}/chat/completions", "-d", body)
    events = [line.removeprefix("data: ") for line in out.splitlines() if line]
    assert all(line.startswith("data: ") for line in out.splitlines() if line)
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    assert_exact(chunks[-1]["citations"], corpus_store)


def test_curl_json(server):
    body = json.dumps({"model": "extractive", "messages": [{"role": "user", "content": RAILWAY}]})
    completion = json.loads(curl(f"{server}/chat/completions", "-d", body))
    assert completion["object"] == "chat.completion"
    assert completion["citations"] and completion["abstained"] is False


# --- bad input and load ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "param", "says"),
    [
        ('{"model": "extractive", "messages": [', None, "not valid JSON"),
        ('{"model": "extractive"}', "messages", "Field required"),
        ('{"model": "extractive", "messages": []}', "messages", "at least 1"),
        (
            '{"model": "extractive", "messages": [{"role": "wizard", "content": "hi"}]}',
            "messages.0.role",
            "'user'",
        ),
        (
            '{"model": "extractive", "messages": [{"role": "assistant", "content": "hi"}]}',
            "messages",
            "last message",
        ),
        ('["a list"]', None, "an object"),
    ],
)
def test_malformed_requests(server, body, param, says):
    response = post(server, body)
    assert response.status_code == 400
    error = error_of(response)
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param and says in error["message"]


def test_a_one_megabyte_message_is_refused(server):
    huge = "Why? " * 200_000
    body = json.dumps({"model": "extractive", "messages": [{"role": "user", "content": huge}]})
    response = post(server, body)
    assert response.status_code == 400
    assert "limit" in error_of(response)["message"]


def test_a_hundred_requests_at_once_are_all_answered(server):
    body = json.dumps({"model": "extractive", "messages": [{"role": "user", "content": RAILWAY}]})
    with ThreadPoolExecutor(100) as pool:
        responses = list(pool.map(lambda _: post(server, body), range(100)))
    assert [r.status_code for r in responses] == [200] * 100
    texts = {r.json()["choices"][0]["message"]["content"] for r in responses}
    assert len(texts) == 1 and "200 kilometers" in texts.pop()
    assert post(server, body).status_code == 200  # and it still serves


def test_top_k_is_an_extra_field_with_the_page_s_bounds(server, corpus_store):
    def body(top_k: int) -> str:
        question = {"role": "user", "content": "What did Iran's president sign in Moscow?"}
        return json.dumps({"model": "extractive", "messages": [question], "top_k": top_k})

    one = post(server, body(1)).json()
    assert one["citations"] and len({c["chunk_id"] for c in one["citations"]}) == 1
    assert_exact(one["citations"], corpus_store)
    for wrong in (0, TOP_K_MAX + 1):
        response = post(server, body(wrong))
        assert response.status_code == 400
        assert error_of(response)["param"] == "top_k"
    assert post(server, body(TOP_K_MAX)).status_code == 200


def test_unknown_path_has_the_error_shape(server):
    response = httpx.get(f"{server}/nothing", headers={"Authorization": f"Bearer {KEY}"})
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


# --- who may call it ---------------------------------------------------------------------------


def test_a_key_is_needed_with_a_login_or_off_loopback():
    check_api_key(UISettings())  # loopback, no login: open, like the page
    check_api_key(UISettings(ui_host="0.0.0.0", api_key=KEY))
    with pytest.raises(ValueError, match="login"):
        check_api_key(UISettings(ui_user="u", ui_password="p"))
    with pytest.raises(ValueError, match="not loopback"):
        check_api_key(UISettings(ui_host="0.0.0.0"))


def test_rag_ui_refuses_to_start_without_the_key(tmp_path):
    env = {**os.environ, "RAG_UI_USER": "u", "RAG_UI_PASSWORD": "p", "RAG_STORE_DIR": str(tmp_path)}
    env.pop("RAG_API_KEY", None)
    done = subprocess.run(
        [RAG, "ui", "--port", str(free_port())], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "RAG_API_KEY" in done.stderr


def test_citations_keep_every_field_but_the_page_context():
    citation = Citation(
        n=1,
        doc_id="d",
        title="T",
        quote="q",
        start=3,
        end=4,
        score=0.5,
        before="context",
        after="more",
    )
    shown = citation_json(citation)
    assert shown["quote"] == "q" and shown["start"] == 3 and shown["doc_id"] == "d"
    assert "before" not in shown and "after" not in shown
    assert set(shown) == set(Citation.model_fields) - {"before", "after"}


def test_rag_serve_answers_the_api_without_the_page(corpus_store, tmp_path):
    """On loopback without a login no key is needed: the API is as open as the page."""
    store_dir = corpus_store.client.get_settings().persist_directory
    env = {**os.environ, "RAG_STORE_DIR": store_dir}
    env.pop("RAG_API_KEY", None)
    port = free_port()
    command = [RAG, "serve", "--port", port, "--backend", "extractive"]
    with ServerProcess(command, port, ready_path="/v1/models", env=env, log=tmp_path / "log"):
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="any")
        completion = client.chat.completions.create(
            model="extractive", messages=[{"role": "user", "content": RAILWAY}]
        )
        assert "200 kilometers" in completion.choices[0].message.content
        assert_exact(completion.model_extra["citations"], corpus_store)
        assert httpx.get(f"http://127.0.0.1:{port}/").status_code == 404  # no page
