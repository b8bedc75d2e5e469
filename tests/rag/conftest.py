import pytest

from rag import factory
from rag.settings import Settings


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="session")
def sentence_embed(settings):
    return factory.sentence_embeddings(settings)


@pytest.fixture(scope="session")
def retriever(corpus_store, settings):
    return factory.retriever(settings, corpus_store)


@pytest.fixture(scope="session")
def extractive(corpus_store, settings):
    return factory.pipeline(settings, "extractive", chunk_store=corpus_store)


@pytest.fixture(scope="session")
def answer_with(corpus_store, settings):
    """The shipped pipeline over the seed corpus, answering through the given backend alone
    (no extractive fallback unless asked for: tests see what the backend's answer becomes)."""

    def build(backend, **config):
        return factory.pipeline(
            settings.model_copy(update={"fallback": None, **config}),
            chunk_store=corpus_store,
            answer_backend=backend,
        )

    return build
