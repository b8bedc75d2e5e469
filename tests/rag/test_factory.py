"""rag/factory.py: settings in, parts out. Backends are cached per name and options, their
options come from their own RAG_* variables, `settings.backend_options` and overrides (in that
order of precedence, lowest first), a missing store says how to build it, and the pipeline the
factory builds answers with verified citations."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from corpus import DEV_SET, SEEDS

from index.store import StoreError
from rag import factory
from rag.backends.base import Backend, BackendError, GenerationRequest
from rag.backends.extractive import ExtractiveBackend
from rag.prompt import NOT_FOUND
from rag.settings import Settings
from rag.types import QuestionError

DEV = [json.loads(line) for line in DEV_SET.read_text().splitlines() if line.strip()]
ANSWERABLE = [q for q in DEV if q["answerable"]]
DEFAULT_MAX_SENTENCES = ExtractiveBackend.Options.model_fields["max_sentences"].default


@pytest.fixture(autouse=True)
def fresh_backends(monkeypatch):
    """Each test sees an empty backend cache, and leaves the process-wide one untouched (an
    instance built here from a test's environment must not be handed to other tests)."""
    monkeypatch.setattr(factory, "_BACKENDS", {})
    for name in ExtractiveBackend.Options.model_fields:
        monkeypatch.delenv(f"RAG_EXTRACTIVE_{name.upper()}", raising=False)


@pytest.fixture
def core(settings) -> Settings:
    return settings.model_copy(update={"backend": "extractive", "backend_options": {}})


def with_options(settings: Settings, **options) -> Settings:
    return settings.model_copy(update={"backend_options": options})


# --- backend(): one instance per name and options -------------------------------------------------


def test_the_same_backend_is_returned_twice(core):
    first = factory.backend(core, "extractive")
    assert isinstance(first, ExtractiveBackend)
    assert factory.backend(core, "extractive") is first
    assert factory.backend(core) is first  # the settings' backend by default


def test_different_options_give_a_different_instance(core):
    default = factory.backend(core, "extractive")
    one = factory.backend(core, "extractive", max_sentences=1)
    assert one is not default
    assert one.options.max_sentences == 1
    assert default.options.max_sentences == DEFAULT_MAX_SENTENCES != 1
    assert factory.backend(core, "extractive", max_sentences=1) is one


def test_the_order_of_options_does_not_make_another_instance(core):
    one = factory.backend(core, "extractive", max_sentences=1, min_score=0.2)
    assert factory.backend(core, "extractive", min_score=0.2, max_sentences=1) is one


def test_backends_get_the_sentence_embeddings(core):
    assert factory.backend(core, "extractive").embed is factory.sentence_embeddings(core)


# --- where options come from ----------------------------------------------------------------------


def test_settings_backend_options_reach_the_backend(core):
    settings = with_options(core, extractive={"max_sentences": 1, "min_score": 0.5})
    backend = factory.backend(settings, "extractive")
    assert backend.options.max_sentences == 1
    assert backend.options.min_score == 0.5
    assert factory.backend(core, "extractive").options.max_sentences == DEFAULT_MAX_SENTENCES


def test_backend_options_of_another_backend_do_not_apply(core):
    settings = with_options(core, llamacpp={"max_tokens": 64})
    assert factory.backend(settings, "extractive").options.max_sentences == DEFAULT_MAX_SENTENCES


def test_backend_options_from_the_rag_backend_options_variable(monkeypatch):
    monkeypatch.setenv("RAG_BACKEND_OPTIONS", json.dumps({"extractive": {"max_sentences": 1}}))
    settings = Settings(backend="extractive")
    assert factory.backend(settings, "extractive").options.max_sentences == 1


def test_the_backends_own_environment_variable_reaches_it(core, monkeypatch):
    monkeypatch.setenv("RAG_EXTRACTIVE_MAX_SENTENCES", "2")
    assert factory.backend(core, "extractive").options.max_sentences == 2


def test_settings_options_win_over_the_environment_and_overrides_win_over_both(core, monkeypatch):
    monkeypatch.setenv("RAG_EXTRACTIVE_MAX_SENTENCES", "2")
    settings = with_options(core, extractive={"max_sentences": 1})
    assert factory.backend(settings, "extractive").options.max_sentences == 1
    assert factory.backend(settings, "extractive", max_sentences=4).options.max_sentences == 4


def test_a_misspelt_override_raises_naming_it_and_the_real_options(core):
    with pytest.raises(BackendError) as caught:
        factory.backend(core, "extractive", max_sentence=1)
    message = str(caught.value)
    assert "'max_sentence'" in message
    assert "max_sentences" in message and "min_score" in message  # what it could have been
    assert factory._BACKENDS == {}


def test_a_misspelt_option_in_the_settings_raises_naming_it(core):
    with pytest.raises(BackendError, match="'min_scor'"):
        factory.backend(with_options(core, extractive={"min_scor": 0.1}), "extractive")


def test_an_invalid_option_value_raises_naming_the_option(core):
    with pytest.raises(BackendError, match="max_sentences"):
        factory.backend(core, "extractive", max_sentences=0)
    with pytest.raises(BackendError, match="min_score"):
        factory.backend(core, "extractive", min_score="high")


def test_an_invalid_environment_value_raises_naming_the_option(core, monkeypatch):
    monkeypatch.setenv("RAG_EXTRACTIVE_MAX_SENTENCES", "many")
    with pytest.raises(BackendError, match="max_sentences"):
        factory.backend(core, "extractive")


def test_an_unknown_backend_name_raises_listing_the_available_ones(core):
    with pytest.raises(BackendError) as caught:
        factory.backend(core, "extractiv")
    message = str(caught.value)
    assert "'extractiv'" in message
    for name in ("extractive", "llamacpp", "openai"):
        assert name in message


# --- store() --------------------------------------------------------------------------------------


def test_opening_a_missing_store_says_to_run_rag_index(core, tmp_path):
    missing = tmp_path / "no-store-here"
    settings = core.model_copy(update={"store_dir": missing, "chroma_url": None})
    with pytest.raises(StoreError) as caught:
        factory.store(settings)
    assert "rag index" in str(caught.value)
    assert str(missing) in str(caught.value)
    assert not missing.exists(), "opening for reading must not create the store"


def test_retriever_and_pipeline_on_a_missing_store_say_to_run_rag_index(core, tmp_path):
    settings = core.model_copy(update={"store_dir": tmp_path / "missing", "chroma_url": None})
    with pytest.raises(StoreError, match="rag index"):
        factory.retriever(settings)
    with pytest.raises(StoreError, match="rag index"):
        factory.pipeline(settings)


def test_an_existing_store_opens_with_its_documents(core, corpus_store):
    store_dir = Path(corpus_store.client.get_settings().persist_directory)
    store = factory.store(core.model_copy(update={"store_dir": store_dir, "chroma_url": None}))
    assert set(store.documents()) == {p.name for p in SEEDS.iterdir() if p.suffix == ".txt"}


def test_create_makes_a_new_empty_store(core, tmp_path):
    settings = core.model_copy(update={"store_dir": tmp_path / "new", "chroma_url": None})
    store = factory.store(settings, create=True)
    assert (tmp_path / "new").is_dir()
    assert store.documents() == {}
    assert factory.store(settings).documents() == {}  # and it now opens without create


# --- indexer(): the one door for writing -------------------------------------------------------


def test_the_indexer_builds_the_store_the_settings_name(core, tmp_path):
    settings = core.model_copy(update={"store_dir": tmp_path / "store", "chroma_url": None})
    report = factory.indexer(settings).index([SEEDS], progress=False)
    assert report.added == 5 and not report.skipped
    store = factory.store(settings)
    assert set(store.documents()) == {p.name for p in SEEDS.iterdir() if p.suffix == ".txt"}
    assert store.chunk_count() == report.chunks


def test_the_indexer_waits_for_no_writer_and_says_who_holds_the_store(core, tmp_path):
    from index.lock import write_lock

    settings = core.model_copy(update={"store_dir": tmp_path / "store", "chroma_url": None})
    with write_lock(settings.store_dir), pytest.raises(StoreError, match="is locked by process"):
        factory.indexer(settings).index([SEEDS], progress=False)


# --- pipeline() -----------------------------------------------------------------------------------


def assert_verified_against_seeds(answer) -> None:
    assert answer.citations
    for citation in answer.citations:
        source = (SEEDS / citation.doc_id).read_text(encoding="utf-8")
        assert source[citation.start : citation.end] == citation.quote
        assert f"[{citation.n}]" in answer.answer


@pytest.mark.parametrize("q", ANSWERABLE[:3], ids=[q["id"] for q in ANSWERABLE[:3]])
def test_the_pipeline_answers_a_corpus_question_with_verified_citations(core, corpus_store, q):
    pipe = factory.pipeline(core, chunk_store=corpus_store)
    answer = pipe.ask(q["question"])
    assert answer.backend == "extractive" and answer.error is None
    assert not answer.abstained
    assert_verified_against_seeds(answer)
    assert any(c.doc_id in q["expected_sources"] for c in answer.citations)
    assert any(expected.lower() in answer.answer.lower() for expected in q["answer_contains"])


def test_the_pipeline_abstains_on_an_unanswerable_question(core, corpus_store):
    unanswerable = next(q for q in DEV if not q["answerable"])
    answer = factory.pipeline(core, chunk_store=corpus_store).ask(unanswerable["question"])
    assert answer.abstained and answer.citations == []


def test_the_pipeline_uses_the_cached_backend_or_the_one_handed_in(core, corpus_store):
    pipe = factory.pipeline(core, "extractive", chunk_store=corpus_store)
    assert pipe.backend is factory.backend(core, "extractive")
    mine = ExtractiveBackend()
    assert factory.pipeline(core, chunk_store=corpus_store, answer_backend=mine).backend is mine


class Generative(Backend):
    name = "generative-test"

    def execute(self, request: GenerationRequest, stream: bool = True) -> Iterator[str]:
        yield NOT_FOUND


def test_a_generative_backend_gets_the_extractive_fallback(core, corpus_store):
    pipe = factory.pipeline(
        core.model_copy(update={"fallback": "extractive"}),
        chunk_store=corpus_store,
        answer_backend=Generative(),
    )
    assert pipe.fallback is factory.backend(core, "extractive")


def test_no_fallback_when_the_settings_turn_it_off_or_the_backend_is_extractive(core, corpus_store):
    off = core.model_copy(update={"fallback": None})
    assert (
        factory.pipeline(off, chunk_store=corpus_store, answer_backend=Generative()).fallback
        is None
    )
    on = core.model_copy(update={"fallback": "extractive"})
    assert factory.pipeline(on, "extractive", chunk_store=corpus_store).fallback is None


def test_a_misspelt_fallback_raises_naming_it(core, corpus_store):
    settings = core.model_copy(update={"fallback": "extractiv"})
    with pytest.raises(BackendError, match="'extractiv'"):
        factory.pipeline(settings, chunk_store=corpus_store, answer_backend=Generative())


def test_the_fallback_answers_when_the_generative_backend_declines(core, corpus_store):
    q = ANSWERABLE[0]
    on = core.model_copy(update={"fallback": "extractive"})
    answer = factory.pipeline(on, chunk_store=corpus_store, answer_backend=Generative()).ask(
        q["question"]
    )
    assert not answer.abstained
    assert answer.backend == "generative-test+extractive"
    assert_verified_against_seeds(answer)
    off = core.model_copy(update={"fallback": None})
    declined = factory.pipeline(off, chunk_store=corpus_store, answer_backend=Generative()).ask(
        q["question"]
    )
    assert declined.abstained and declined.citations == []


def test_the_pipeline_takes_its_limits_from_the_settings(core, corpus_store):
    settings = core.model_copy(
        update={"top_k": 2, "context_tokens": 300, "evidence_tokens": 99, "max_question_chars": 60}
    )
    pipe = factory.pipeline(settings, chunk_store=corpus_store)
    assert (pipe.config.top_k, pipe.config.context_tokens) == (2, 300)
    assert pipe.config.evidence_tokens == 99
    answer = pipe.ask("How long will the railway between Iran and Turkey be?")
    assert 1 <= len(answer.retrieved) <= 2
    with pytest.raises(QuestionError, match="limit is 60"):
        pipe.ask("How long will the railway between Iran and Turkey be, in kilometres?")


def test_backend_options_in_the_settings_shape_the_pipelines_answers(core, corpus_store):
    default = factory.pipeline(core, chunk_store=corpus_store)
    limited = factory.pipeline(
        with_options(core, extractive={"max_sentences": 1}), chunk_store=corpus_store
    )
    assert limited.backend.options.max_sentences == 1
    longer = [q["question"] for q in ANSWERABLE if len(default.ask(q["question"]).sentences) > 1]
    longer = longer[:3]
    assert longer, "some dev answers have more than one sentence by default"
    for question in longer:
        answer = limited.ask(question)
        assert len(answer.sentences) == 1
        assert_verified_against_seeds(answer)
