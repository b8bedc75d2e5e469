"""The packaged default model, assembled once into the shared cache (RAG_MODEL_CACHE_DIR)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rag.backends.models import DEFAULT_CACHE_DIR, DEFAULT_MODEL, resolve_model


@pytest.fixture(scope="session")
def model_cache_dir() -> Path:
    """The user's cache by default, so a test run and `make run` assemble the model once."""
    return Path(os.environ.get("RAG_MODEL_CACHE_DIR") or DEFAULT_CACHE_DIR).expanduser()


@pytest.fixture(scope="session")
def model_path(model_cache_dir: Path) -> Path:
    return resolve_model(DEFAULT_MODEL, model_cache_dir)
