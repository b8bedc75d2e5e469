import pytest

from rag.backends.extractive import ExtractiveBackend
from rag.pipeline import AnswerConfig, AnswerPipeline
from rag.retrieval import HybridRetriever, RetrievalConfig
from rag.support import EmbeddingCache


@pytest.fixture(scope="session")
def sentence_embed(embedder):
    return EmbeddingCache(embedder.get_text_embedding_batch)


@pytest.fixture(scope="session")
def retriever(corpus_store, embedder):
    return HybridRetriever(corpus_store, embedder, RetrievalConfig())


@pytest.fixture(scope="session")
def extractive(retriever, sentence_embed):
    return AnswerPipeline(
        retriever, ExtractiveBackend(embed=sentence_embed), AnswerConfig(), embed=sentence_embed
    )
