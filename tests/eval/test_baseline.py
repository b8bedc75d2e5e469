"""The plain llama-index baseline: retrieval, its citations, and our backends as its LLM."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from eval.baseline import TOP_K, BaselinePipeline
from eval.metrics import METRICS, UNIT_METRICS
from eval.questions import load_questions, source_text
from eval.runner import run
from rag.backends.base import Backend, GenerationRequest, create_backend

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
DEV_SET = ROOT / "eval" / "questions" / "dev.jsonl"
FIRST = json.loads(DEV_SET.read_text().splitlines()[0])


class Scripted(Backend):
    """A generative stand-in: cites source 1, or declines; records the prompts it was given."""

    name = "scripted"

    def __init__(self) -> None:
        super().__init__()
        self.prompts: list[str] = []

    def execute(self, request: GenerationRequest, stream: bool = True) -> Iterator[str]:
        self.prompts.append(request.prompt)
        if "budget" in request.prompt:
            yield "None of the sources mention a budget."
            return
        yield from ["The railway will be ", "about 200 km long [1]."]


def test_extractive_baseline_over_the_dev_set(embedder):
    baseline = BaselinePipeline(SEEDS, embedder, create_backend("extractive"))
    metrics, records = run(load_questions(DEV_SET, SEEDS), baseline, SEEDS, progress=False)
    assert set(metrics) == set(METRICS)
    # the baseline's answers carry no checked sentences: faithfulness is not measured for it
    assert metrics["faithfulness"] is None and metrics["unsupported_marked"] is None
    unit = [v for k, v in metrics.items() if k in UNIT_METRICS and v is not None]
    assert len(unit) >= 12 and all(0 <= v <= 1 for v in unit)
    assert all(len(r["retrieved"]) == TOP_K for r in records)
    assert metrics["abstention_accuracy"] == 0.0  # the top chunk is always the answer
    for record in records:
        (citation,) = record["citations"]  # the top chunk, cited whole
        assert citation["doc_id"] == record["retrieved"][0]["doc_id"]
        assert record["answer"] == citation["quote"]


def test_a_generative_backend_answers_through_citation_query_engine(embedder):
    backend = Scripted()
    baseline = BaselinePipeline(SEEDS, embedder, backend)
    answer = baseline.ask(FIRST["question"])
    assert answer.error is None and not answer.abstained
    assert answer.answer == "The railway will be about 200 km long [1]."
    (prompt,) = backend.prompts  # one completion, in llama-index's citation prompt
    assert "Source 1:" in prompt and FIRST["question"] in prompt
    (citation,) = answer.citations
    top = answer.retrieved[0]
    assert (citation.doc_id, citation.start, citation.end) == (top.doc_id, top.start, top.end)
    assert not citation.quote.startswith("Source 1")
    assert citation.quote in source_text(SEEDS, top.doc_id)

    declined = baseline.ask("What's the construction budget for the border bridge?")
    assert declined.abstained and declined.citations == []
    assert len(declined.retrieved) == TOP_K


@pytest.mark.slow
def test_the_real_local_model_answers_through_the_baseline(embedder):
    backend = create_backend("llamacpp", max_tokens=60)  # the default packaged model
    answer = BaselinePipeline(SEEDS, embedder, backend).ask(FIRST["question"])
    assert answer.error is None
    assert answer.answer
    retrieved = {p.doc_id for p in answer.retrieved}
    assert all(c.doc_id in retrieved for c in answer.citations)
