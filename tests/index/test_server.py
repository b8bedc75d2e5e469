"""Client-server mode against a real `chroma run`: the same CLI commands, a lost server survived,
an unreachable one reported at once."""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from corpus import DEV_SET, SEEDS

from eval.bench_server import copies_of
from eval.processes import ServerProcess, free_port
from index.chunking import chunk_document, chunk_id
from index.documents import discover, read_document
from index.store import ChunkStore, StoreError, open_client

RAG = str(Path(sys.executable).parent / "rag")
COPIES = 12  # 60 documents: indexing takes long enough to kill the server in the middle


def rag_env(url: str, collection: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    return {**env, "RAG_CHROMA_URL": url, "RAG_COLLECTION": collection, **extra}


def rag(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [RAG, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=900
    )


def expected_chunks(folder: Path) -> dict[str, int]:
    """What a clean build of `folder` (or one file) stores: chunks per document, by the chunker."""
    from rag.factory import chunk_spec
    from rag.settings import Settings

    spec = chunk_spec(Settings())
    return {
        doc_id: len(chunk_document(read_document(doc_id, path), spec))
        for doc_id, path in discover([folder])
    }


def assert_clean_build(store: ChunkStore, expected: dict[str, int]) -> None:
    docs = store.documents()
    assert {d: doc.n_chunks for d, doc in docs.items()} == expected
    assert all(store.is_complete(doc) for doc in docs.values())
    ids = store.chunks.get(include=[])["ids"]
    assert len(ids) == store.chunk_count() == sum(expected.values())
    assert set(ids) == {chunk_id(d, i) for d, n in expected.items() for i in range(n)}


def server_store(url: str, collection: str, client=None) -> ChunkStore | None:
    """The collection on the server, or None while `rag index` has not created it yet."""
    try:
        return ChunkStore(client or open_client(url=url), collection, create=False, retry_s=120)
    except StoreError:
        return None


def wait_for_documents(url: str, collection: str, at_least: int, process) -> int:
    client = open_client(url=url)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and process.poll() is None:
        store = server_store(url, collection, client)
        if store and (n := len(store.documents())) >= at_least:
            return n
        time.sleep(0.3)
    raise AssertionError(f"`rag index` stored fewer than {at_least} documents: {process.poll()=}")


@pytest.fixture(scope="module")
def seeded(chroma_server, tmp_path_factory) -> tuple[str, Path, subprocess.CompletedProcess]:
    """The seeds indexed once by `rag index` into one collection of the session's server, which
    the tests below read and never change; yields (collection, the run's folder, its result)."""
    cwd = tmp_path_factory.mktemp("seeded")
    first = rag(rag_env(chroma_server.url, "seeds"), cwd, "index", "-q", str(SEEDS))
    assert first.returncode == 0, first.stderr
    return "seeds", cwd, first


def test_index_status_ask_through_a_chroma_server(chroma_server, seeded, tmp_path):
    collection, cwd, first = seeded
    env = rag_env(chroma_server.url, collection)
    assert "5 added" in first.stdout
    assert not (cwd / ".rag").exists()  # nothing went to an embedded store

    status = rag(env, tmp_path, "status", "--json")
    assert status.returncode == 0, status.stderr
    info = json.loads(status.stdout)
    expected = expected_chunks(SEEDS)
    assert info["store"] == chroma_server.url
    assert (info["documents"], info["chunks"], info["incomplete"]) == (
        5,
        sum(expected.values()),
        [],
    )

    question = "How long is the planned new railway between Iran and Turkey supposed to be?"
    ask = rag(env, tmp_path, "ask", "--json", "--backend", "extractive", question)
    assert ask.returncode == 0, ask.stderr
    answer = json.loads(ask.stdout)
    assert "200" in answer["answer"] and not answer["abstained"]
    citation = answer["citations"][0]
    assert citation["doc_id"] == "000_9e243a5a117bdeca.txt"
    source = (SEEDS / citation["doc_id"]).read_text(encoding="utf-8")
    assert source[citation["start"] : citation["end"]] == citation["quote"]

    again = rag(env, tmp_path, "index", "-q", str(SEEDS))
    assert "0 added, 0 updated, 5 unchanged" in again.stdout


def test_host_and_port_settings_name_the_same_server(chroma_server, tmp_path):
    env = rag_env(chroma_server.url, "hostport")
    del env["RAG_CHROMA_URL"]
    env |= {"RAG_CHROMA_HOST": "127.0.0.1", "RAG_CHROMA_PORT": str(chroma_server.port)}
    done = rag(env, tmp_path, "index", "-q", str(SEEDS / "004_39dbd394bf72ebd5.txt"))
    assert done.returncode == 0, done.stderr
    store = ChunkStore(open_client(url=chroma_server.url), "hostport", create=False)
    assert list(store.documents()) == ["004_39dbd394bf72ebd5.txt"]


@pytest.mark.slow
def test_eval_through_a_chroma_server(chroma_server, seeded, tmp_path):
    env = rag_env(chroma_server.url, seeded[0])
    out = tmp_path / "report"
    done = rag(
        env, tmp_path, "eval", str(DEV_SET), "--backend", "extractive", "--corpus", str(SEEDS),
        "--out", str(out), "-q",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["config"]["store"] == chroma_server.url
    assert report["metrics"]["hit_at_5"] >= 0.8


@pytest.mark.slow
@pytest.mark.timeout(1800)  # a local LLM on a shared 2-core machine
def test_ask_and_eval_through_a_chroma_server_and_an_llm_server(
    chroma_server, seeded, llama_server, tmp_path
):
    env = rag_env(chroma_server.url, seeded[0], RAG_OPENAI_BASE_URL=llama_server)
    question = "How long is the planned new railway between Iran and Turkey supposed to be?"
    ask = rag(env, tmp_path, "ask", "--json", "--backend", "openai", question)
    assert ask.returncode == 0, ask.stderr
    answer = json.loads(ask.stdout)
    # the model's answer, or the extractive one when the model's does not hold
    assert answer["backend"] in ("openai", "openai+extractive") and "200" in answer["answer"]
    for citation in answer["citations"]:
        source = (SEEDS / citation["doc_id"]).read_text(encoding="utf-8")
        assert source[citation["start"] : citation["end"]] == citation["quote"]

    questions = tmp_path / "three.jsonl"
    questions.write_text("".join(DEV_SET.read_text(encoding="utf-8").splitlines(True)[:3]))
    out = tmp_path / "report"
    done = rag(
        env, tmp_path, "eval", str(questions), "--backend", "openai", "--corpus", str(SEEDS),
        "--out", str(out), "-q",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["config"]["store"] == chroma_server.url
    assert (report["config"]["backend"], report["config"]["n_questions"]) == ("openai", 3)
    assert report["metrics"]["hit_at_5"] >= 2 / 3


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_two_ui_processes_share_one_chroma_server(chroma_server, tmp_path):
    from eval.load import client

    env = rag_env(
        chroma_server.url, "shared", RAG_BACKEND="extractive", GRADIO_ANALYTICS_ENABLED="False"
    )
    assert rag(env, tmp_path, "index", "-q", str(SEEDS)).returncode == 0
    with ExitStack() as servers:
        urls = []
        for _ in range(2):
            port = free_port()
            ui = ServerProcess(
                [RAG, "ui", "--port", str(port)], port, timeout_s=600, env=env, cwd=tmp_path,
                log=tmp_path / f"ui-{port}.log",
            )  # fmt: skip
            urls.append(servers.enter_context(ui).url + "/")

        def ask_both(question: str) -> list[dict]:
            return [client(url).predict(question=question, api_name="/ask") for url in urls]

        railway = ask_both("How long is the planned new railway between Iran and Turkey?")
        assert all("200" in answer["answer"] for answer in railway)
        assert railway[0]["citations"] == railway[1]["citations"] != []

        news = tmp_path / "news"  # indexed while both processes serve
        news.mkdir()
        (news / "zebra.txt").write_text(
            "Zebra treaty signed\n\nThe zebra treaty between Iran and Armenia was signed in "
            "Yerevan in March 2031. It covers the trade in striped fabrics.\n",
            encoding="utf-8",
        )
        assert rag(env, tmp_path, "index", "-q", str(news)).returncode == 0
        for answer in ask_both("Where was the zebra treaty signed?"):
            assert "Yerevan" in answer["answer"]
            assert {c["doc_id"] for c in answer["citations"]} == {"zebra.txt"}


@contextmanager
def gated_proxy(target: str, token: str, cert: Path, key: Path) -> Iterator[str]:
    """HTTPS in front of Chroma that lets through only requests carrying the token in
    X-Chroma-Token (what an nginx or Envoy in front of a shared Chroma server does)."""

    class Gate(BaseHTTPRequestHandler):
        def forward(self) -> None:
            if self.headers.get("X-Chroma-Token") != token:
                answer = httpx.Response(403, content=b"RBAC: access denied")
            else:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                answer = httpx.request(
                    self.command, target + self.path, content=body or None,
                    headers={"Content-Type": "application/json"}, timeout=30,
                )  # fmt: skip
            self.send_response(answer.status_code)
            self.send_header("Content-Type", answer.headers.get("content-type", "text/plain"))
            self.send_header("Content-Length", str(len(answer.content)))
            self.end_headers()
            self.wfile.write(answer.content)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = forward

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Gate)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def self_signed(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def test_tls_and_a_token_reach_a_gated_server(chroma_server, tmp_path, embedder):
    from index.indexer import index_paths
    from rag import factory
    from rag.settings import Settings

    cert, key = self_signed(tmp_path)
    with gated_proxy(chroma_server.url, "s3cret", cert, key) as url:
        settings = Settings(
            chroma_url=url,
            chroma_token="s3cret",
            chroma_token_header="X-Chroma-Token",
            chroma_ca_file=cert,
            collection="gated",
        )
        store = factory.store(settings, create=True)
        one = SEEDS / "004_39dbd394bf72ebd5.txt"
        report = index_paths([one], store, embedder, factory.chunk_spec(settings), progress=False)
        assert report.added == 1
        assert set(factory.store(settings).documents()) == {one.name}

        with pytest.raises(StoreError, match=f"the Chroma server at {url} refused the token"):
            factory.store(settings.model_copy(update={"chroma_token": "guess"}))
        with pytest.raises(StoreError, match="CERTIFICATE_VERIFY_FAILED"):
            factory.store(settings.model_copy(update={"chroma_ca_file": None}))
    behind = ChunkStore(open_client(url=chroma_server.url), "gated", create=False)
    assert behind.chunk_count() == sum(expected_chunks(one).values()) > 0


def test_an_unreachable_server_is_a_fast_clear_error(tmp_path):
    import chromadb  # noqa: F401  (imported before the clock starts: imports are slow here)

    url = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    with pytest.raises(StoreError, match=f"cannot reach the Chroma server at {url}"):
        open_client(url=url)
    assert time.monotonic() - started < 3

    done = rag(rag_env(url, "corpus"), tmp_path, "status")
    assert done.returncode == 1
    assert f"cannot reach the Chroma server at {url}" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_silent_server_times_out_instead_of_hanging():
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        import chromadb  # noqa: F401

        started = time.monotonic()
        with pytest.raises(StoreError, match=f"cannot reach the Chroma server at {url}"):
            open_client(url=url, timeout_s=1.0)
        assert time.monotonic() - started < 5


def test_a_frozen_server_is_retried_then_reported(own_chroma_server):
    store = ChunkStore(open_client(url=own_chroma_server.url, timeout_s=1.0), "frozen", retry_s=3.0)
    assert store.chunk_count() == 0
    own_chroma_server.signal(signal.SIGSTOP)
    try:
        started = time.monotonic()
        with pytest.raises(StoreError, match=f"lost the Chroma server at {own_chroma_server.url}"):
            store.chunk_count()
        assert 3 <= time.monotonic() - started < 10  # the retry budget, plus one timeout
    finally:
        own_chroma_server.signal(signal.SIGCONT)
    assert store.chunk_count() == 0  # the same store works again once the server answers


@pytest.mark.timeout(1200)
def test_indexing_survives_a_chroma_server_restart(own_chroma_server, tmp_path):
    corpus = copies_of(SEEDS, COPIES, tmp_path / "docs")
    expected = expected_chunks(corpus)
    env = rag_env(own_chroma_server.url, "restart", RAG_CHROMA_RETRY_S="300")
    with subprocess.Popen(
        [RAG, "index", "-q", str(corpus)], env=env, cwd=tmp_path, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    ) as indexing:  # fmt: skip
        try:
            stored = wait_for_documents(own_chroma_server.url, "restart", 3, indexing)
            assert indexing.poll() is None
            own_chroma_server.kill()
            time.sleep(8)  # long enough for the indexer to hit the dead server, and retry
            own_chroma_server.start()
            out, err = indexing.communicate(timeout=900)
        finally:
            if indexing.poll() is None:
                indexing.kill()
    assert stored < len(expected)  # the server died in the middle of the run
    assert indexing.returncode == 0, err
    assert f"{len(expected)} added" in out
    assert_clean_build(server_store(own_chroma_server.url, "restart"), expected)


def test_a_run_that_gives_up_is_resumed_by_the_next(own_chroma_server, tmp_path):
    corpus = copies_of(SEEDS, 4, tmp_path / "docs")
    expected = expected_chunks(corpus)
    env = rag_env(own_chroma_server.url, "resume", RAG_CHROMA_RETRY_S="2")
    with subprocess.Popen(
        [RAG, "index", "-q", str(corpus)], env=env, cwd=tmp_path, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    ) as indexing:  # fmt: skip
        try:
            stored = wait_for_documents(own_chroma_server.url, "resume", 2, indexing)
            own_chroma_server.kill()
            _, err = indexing.communicate(timeout=600)
        finally:
            if indexing.poll() is None:
                indexing.kill()
    assert indexing.returncode == 1
    assert f"lost the Chroma server at {own_chroma_server.url}" in err
    assert "rag index" in err and "Traceback" not in err

    own_chroma_server.start()
    done = rag(env, tmp_path, "index", "-q", str(corpus))
    assert done.returncode == 0, done.stderr
    added = int(done.stdout.split(" added")[0].rsplit(" ", 1)[-1])
    assert stored <= len(expected) - added < len(expected)  # finished documents were kept
    assert_clean_build(server_store(own_chroma_server.url, "resume"), expected)


def test_a_rebuild_on_a_server_drops_its_own_collection_only(chroma_server, embedder):
    from rag import factory
    from rag.settings import Settings

    one, two = sorted(SEEDS.glob("*.txt"))[:2]
    settings = Settings(chroma_url=chroma_server.url, collection="rebuilt")
    neighbour = settings.model_copy(update={"collection": "neighbour"})
    factory.indexer(neighbour, embedder).index([one], progress=False)
    indexer = factory.indexer(settings, embedder)
    assert indexer.index([one, two], progress=False).added == 2
    rebuilt = indexer.index([two], rebuild=True, progress=False)
    assert rebuilt.added == 1  # the old index is gone: nothing of `one` is left to prune
    assert_clean_build(factory.store(settings), expected_chunks(two))
    assert_clean_build(factory.store(neighbour), expected_chunks(one))
