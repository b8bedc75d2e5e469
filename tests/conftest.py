"""Shared fixtures: the real corpus, a real embedded Chroma store, the real embedding model,
and real servers in child processes (`eval.processes`): `chroma run` from the venv for
client-server mode, a llama.cpp server, and Debian's PostgreSQL."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from corpus import SEEDS

import index  # noqa: F401  (offline switches)
from eval import processes


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


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    """One Chroma server for the session: tests keep apart by collection name."""
    folder = tmp_path_factory.mktemp("chroma")
    with processes.chroma_server(folder / "db", log=folder / "chroma.log") as server:
        yield server


@pytest.fixture
def own_chroma_server(tmp_path):
    """A Chroma server for one test, which may kill, freeze or restart it (`ServerProcess`)."""
    with processes.chroma_server(tmp_path / "chroma-db", log=tmp_path / "chroma.log") as server:
        yield server


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory):
    """A real `python -m llama_cpp.server` with the packaged model; yields its /v1 base URL."""
    from rag.backends.models import DEFAULT_CACHE_DIR, DEFAULT_MODEL, resolve_model

    cache = Path(os.environ.get("RAG_MODEL_CACHE_DIR") or DEFAULT_CACHE_DIR).expanduser()
    model = resolve_model(DEFAULT_MODEL, cache)
    port = processes.free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(model),
               *f"--host 127.0.0.1 --port {port} --n_ctx 2048 --n_threads 2".split()]  # fmt: skip
    log = tmp_path_factory.mktemp("llm-server") / "server.log"
    with processes.ServerProcess(command, port, ready_path="/v1/models", log=log) as server:
        yield f"{server.url}/v1"


@pytest.fixture(scope="session")
def seed_pdfs(tmp_path_factory) -> Path:
    """The seeds printed to PDF by chromium (running headers and footers on every page)."""
    from documents import converted

    return converted(sorted(SEEDS.glob("*.txt")), tmp_path_factory.mktemp("pdf"), ".pdf")


@pytest.fixture(scope="session")
def seed_docx(tmp_path_factory) -> Path:
    """The seeds written as Word files by pandoc."""
    from documents import converted

    return converted(sorted(SEEDS.glob("*.txt")), tmp_path_factory.mktemp("docx"), ".docx")


@pytest.fixture(scope="session")
def postgres_server():
    """A throwaway PostgreSQL server (Debian's `postgresql` package) on a free loopback port;
    yields its SQLAlchemy URL without a database name. It refuses to run as root, so it runs
    as the `postgres` user then."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not found:
        pytest.skip("needs Debian's postgresql package (.ci/run installs it)")
    pg_ctl = found[-1]
    folder = Path(tempfile.mkdtemp(prefix="rag-postgres-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = folder / "data", processes.free_port()
    initdb = str(Path(pg_ctl).with_name("initdb"))

    def run(*command: str | Path) -> None:
        subprocess.run([*as_user, *map(str, command)], check=True, capture_output=True)

    run(initdb, "-D", data, "-U", "rag", "--auth=trust", "--no-sync")
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    run(pg_ctl, "-D", data, "-o", options, "-l", folder / "server.log", "-w", "start")
    try:
        yield f"postgresql+psycopg://rag@127.0.0.1:{port}"
    finally:
        run(pg_ctl, "-D", data, "-m", "fast", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)
