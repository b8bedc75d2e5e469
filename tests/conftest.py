"""Shared fixtures: the real corpus, a real embedded Chroma store, the real embedding model."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from corpus import SEEDS

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
