"""Shared fixtures: the real corpus, a real embedded Chroma store, the real embedding model,
and a real Chroma server (`chroma run` from the venv) for client-server mode."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from corpus import SEEDS
from ports import free_port

import index  # noqa: F401  (offline switches)


@pytest.fixture(scope="session")
def embedder():
    from index.embedding import make_embedding

    return make_embedding()


@pytest.fixture(scope="session")
def corpus_store(tmp_path_factory, embedder):
    """The seeds indexed once into a real embedded Chroma store, shared read-only by tests."""
    from index.chunking import ChunkSpec
    from index.indexer import index_paths
    from index.store import ChunkStore, open_client

    store_dir = tmp_path_factory.mktemp("store")
    store = ChunkStore(open_client(store_dir), "corpus")
    index_paths([SEEDS], store, embedder, ChunkSpec(), progress=False)
    return store


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    shutil.copytree(SEEDS, folder)
    return folder


class ChromaServer:
    """A real `chroma run` on 127.0.0.1, which can be killed and started again on the same
    port and path. Its process group is ours alone, so stopping it ends nothing else."""

    def __init__(self, path: Path, port: int | None = None) -> None:
        self.path = path
        self.port = port or free_port()
        self.log = path.parent / f"chroma-{self.port}.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 120.0) -> None:
        import httpx

        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(Path(sys.executable).parent / "chroma"), "run", "--path", str(self.path),
                 "--host", "127.0.0.1", "--port", str(self.port)],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"chroma run exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"chroma run did not answer within {timeout_s:.0f} s")

    def signal(self, sig: int) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, sig)

    def kill(self) -> None:
        """Die at once, as a crash would: no shutdown, no flush."""
        if self.process and self.process.poll() is None:
            self.signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.signal(signal.SIGCONT)  # in case a test froze it
            self.signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    """One Chroma server for the session: tests keep apart by collection name."""
    server = ChromaServer(tmp_path_factory.mktemp("chroma") / "db")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def own_chroma_server(tmp_path):
    """A Chroma server for one test, which may kill, freeze or restart it."""
    server = ChromaServer(tmp_path / "chroma-db")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory):
    """A real `python -m llama_cpp.server` with the packaged model; yields its /v1 base URL."""
    import urllib.request

    from rag.backends.models import DEFAULT_CACHE_DIR, DEFAULT_MODEL, resolve_model

    cache = Path(os.environ.get("RAG_MODEL_CACHE_DIR") or DEFAULT_CACHE_DIR).expanduser()
    model = resolve_model(DEFAULT_MODEL, cache)
    port = free_port()
    log = tmp_path_factory.mktemp("llm-server") / "server.log"
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(model),
               *f"--host 127.0.0.1 --port {port} --n_ctx 2048 --n_threads 2".split()]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
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
