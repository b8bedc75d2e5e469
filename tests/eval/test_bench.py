"""`rag bench` end to end on the seeds and the smallest synthetic size: shape and sane values.

No timing is asserted (the machine is shared): only that every number is there, positive,
consistent with the others, and that the synthetic corpora are deterministic.
"""

from __future__ import annotations

import json

import pytest
from corpus import SEEDS
from typer.testing import CliRunner

from eval import scale
from eval.bench.config import parse_size
from ui.cli import app

# builds, queries and two cold starts on a shared machine: minutes, not seconds, when it is busy
pytestmark = pytest.mark.timeout(1800)

REQUIRED_TOP = {"machine", "sizes", "llamacpp_ttft_ms", "llamacpp_overhead_ratio", "cold_ask_s"}
REQUIRED_SIZE = {
    "index_chunks_per_s",
    "index_embedded_tokens_per_s",
    "raw_embedder_tokens_per_s",
    "index_tokens_per_s_vs_baseline",
    "index_ratio_vs_raw_embedder",
    "index_speedup_vs_baseline",
    "retrieve_p50_ms",
    "retrieve_p95_ms",
    "baseline_retrieve_p50_ms",
    "extractive_p50_ms",
}


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    args = ["bench", "--sizes", "corpus,1k", "--reps", "1", "--backend", "extractive"]
    args += ["--real-embed-max", "0", "--pool", "48", "--out", str(out)]
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 0, done.output + repr(done.exception)
    return out, json.loads((out / "bench.json").read_text()), done.output


def test_bench_json_has_the_issue_keys(bench_run):
    _, result, _ = bench_run
    assert set(result) >= REQUIRED_TOP
    assert set(result["sizes"]) == {"corpus", "1k"}
    for size in result["sizes"].values():
        assert set(size) >= REQUIRED_SIZE
    assert result["machine"]["cores"] >= 1 and result["machine"]["memory_gib"] > 0
    assert result["llamacpp_ttft_ms"] is None  # not requested
    assert result["cold_ask_s"] > 0
    assert 0 < result["cold_ui_s"] < result["cold_ui_answer_s"]


def test_bench_values_are_consistent(bench_run):
    _, result, _ = bench_run
    corpus, small = result["sizes"]["corpus"], result["sizes"]["1k"]
    assert corpus["embeddings"] == "model" and small["embeddings"] == "reused"
    assert corpus["documents"] == len(list(SEEDS.glob("*.txt")))
    assert 700 <= small["chunks"] <= 1300  # "about 1k"
    for size in (corpus, small):
        assert size["chunks"] > size["documents"] > 0
        assert size["index_chunks_per_s"] > 0 and size["raw_embedder_chunks_per_s"] > 0
        assert 0 < size["index_ratio_vs_raw_embedder"] <= 1.5
        assert 0 < size["index_embed_share"] <= 1
        assert size["index_speedup_vs_baseline"] > 0 and size["baseline_chunks"] > 0
        # tokens: the same texts as the raw model, other (fewer, cut) ones for the baseline
        chunks_per_s = size["index_chunks_per_s_projected"] or size["index_chunks_per_s"]
        per_chunk = size["index_embedded_tokens_per_s"] / chunks_per_s
        assert 50 < per_chunk <= 256  # word pieces the model reads: at most its window
        assert size["raw_embedder_tokens_per_s"] / size["raw_embedder_chunks_per_s"] == (
            pytest.approx(per_chunk, rel=0.01)
        )
        assert 0 < size["baseline_embedded_tokens"] <= 256 * size["baseline_chunks"]
        assert size["index_tokens_per_s_vs_baseline"] == pytest.approx(
            size["index_embedded_tokens_per_s"] / size["baseline_embedded_tokens_per_s"],
            rel=0.02,
            abs=0.01,  # the ratio is rounded to 3 significant digits
        )
        assert 0 < size["retrieve_p50_ms"] <= size["retrieve_p95_ms"]
        assert size["baseline_retrieve_p50_ms"] > 0
        assert 0 < size["extractive_p50_ms"] <= size["extractive_p95_ms"]
        assert size["index_peak_rss_mb"] > 50
        assert size["reindex_seconds"] > 0
    # with reused vectors the model time per chunk is gone: the pipeline alone is faster
    assert small["index_chunks_per_s"] > small["index_chunks_per_s_projected"]


def test_bench_prints_the_table_and_draws_the_chart(bench_run):
    out, _, output = bench_run
    assert "| corpus |" in output and "| 1k |" in output
    assert (out / "bench.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_synthetic_corpus_is_deterministic_and_varied():
    pool = scale.seed_sentences(SEEDS)
    assert len(pool) > 50
    first = scale.make_document(7, pool, 0, 30)
    assert first == scale.make_document(7, pool, 0, 30)
    assert first != scale.make_document(8, pool, 0, 30)
    assert first != scale.make_document(7, pool, 1, 30)
    assert first.startswith("Report 7:")


def test_size_names():
    assert parse_size("corpus") is None
    assert [parse_size(s) for s in ("1k", "10k", "100k", "2500", "2.5k")] == [
        1000,
        10_000,
        100_000,
        2500,
        2500,
    ]
    with pytest.raises(ValueError, match="unknown size"):
        parse_size("huge")
