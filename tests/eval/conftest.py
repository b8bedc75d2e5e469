import pytest
from corpus import DEV_SET, SEEDS


@pytest.fixture(scope="session")
def dev_records(corpus_store):
    """The dev set answered by the shipped extractive pipeline: records as `rag eval` keeps."""
    from eval.questions import load_questions
    from eval.runner import run
    from rag import factory
    from rag.settings import Settings

    pipeline = factory.pipeline(Settings(), "extractive", chunk_store=corpus_store)
    _, records = run(load_questions(DEV_SET, SEEDS), pipeline, SEEDS, progress=False)
    return records
