import itertools
import os
import subprocess
import sys
import time
from pathlib import Path

from corpus import SEEDS

from index.chunking import ChunkSpec
from index.indexer import index_paths
from index.store import ChunkStore, open_client
from rag.retrieval import BM25_RECHECK_S, HybridRetriever, RetrievalConfig, rrf


def test_rrf_rewards_agreement_and_respects_weights():
    fused = rrf([(1.0, ["a", "b", "c"]), (1.0, ["b", "a", "d"])], k=60)
    assert fused["a"] == fused["b"] > fused["c"] == fused["d"]
    heavy_dense = rrf([(2.0, ["a", "b"]), (1.0, ["b", "a"])], k=60)
    assert heavy_dense["a"] > heavy_dense["b"]


def test_passages_are_exact_slices_of_their_files(retriever):
    retrieval = retriever.retrieve("railway between Iran and Turkey Lake Van ferries", top_k=8)
    assert retrieval.passages
    for passage in retrieval.passages:
        source = (SEEDS / passage.doc_id).read_text(encoding="utf-8")
        assert source[passage.start : passage.end] == passage.text
    assert [p.n for p in retrieval.passages] == list(range(1, len(retrieval.passages) + 1))


def test_hybrid_finds_the_right_document_for_paraphrases(retriever):
    cases = {
        "Who is the Carnegie expert quoted on the public order clause?": "004_39dbd394bf72ebd5.txt",
        "bridge over the Astarachay river": "002_e27121351d9a108d.txt",
        "Gazprom memorandum with the National Iranian Oil Company": "003_88517bc1fb036881.txt",
    }
    for query, doc_id in cases.items():
        assert retriever.retrieve(query, top_k=3).passages[0].doc_id == doc_id, query


def test_document_filter_and_top_k(retriever):
    only = ["001_a9912d943c8d215c.txt"]
    retrieval = retriever.retrieve("gas pipeline price", top_k=2, doc_ids=only)
    assert retrieval.passages and len(retrieval.passages) <= 2
    assert {p.doc_id for p in retrieval.passages} == set(only)


def test_adjacent_chunks_merge_into_one_continuous_passage(retriever):
    # Asking for everything of one document retrieves neighbours, which must come back merged.
    retrieval = retriever.retrieve(
        "Russia Iran strategic partnership agreement gas pipeline sanctions Syria Assad",
        top_k=10,
        doc_ids=["004_39dbd394bf72ebd5.txt"],
    )
    spans = sorted((p.start, p.end) for p in retrieval.passages)
    source = (SEEDS / "004_39dbd394bf72ebd5.txt").read_text(encoding="utf-8")
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert start > end and source[end:start].strip(), "touching passages were not merged"


def test_weak_evidence_for_off_topic_questions(retriever):
    on_topic = retriever.retrieve("How long will the Iran Turkey railway be?").best_dense
    off_topic = retriever.retrieve("How do I bake sourdough bread at home?").best_dense
    assert off_topic < 0.2 < on_topic


def test_a_document_indexed_by_another_process_reaches_bm25(seeds_copy, tmp_path, embedder):
    store_dir = tmp_path / "store"
    store = ChunkStore(open_client(store_dir), "corpus")
    index_paths([seeds_copy], store, embedder, ChunkSpec(), progress=False)
    retriever = HybridRetriever(store, embedder, RetrievalConfig(dense_weight=0.0))
    assert retriever.retrieve("quokka sanctuary").best_sparse == 0.0  # BM25 built now
    text = (seeds_copy / "001_a9912d943c8d215c.txt").read_text(encoding="utf-8")
    quokka = text[: len(text) // 3] + "\nThe quokka sanctuary opened on Rottnest Island.\n"
    (seeds_copy / "quokka.txt").write_text(quokka, encoding="utf-8")
    rag = Path(sys.executable).parent / "rag"
    env = {**os.environ, "RAG_STORE_DIR": str(store_dir)}
    subprocess.run([rag, "index", str(seeds_copy)], env=env, check=True, capture_output=True)
    time.sleep(BM25_RECHECK_S)
    top = retriever.retrieve("quokka sanctuary", top_k=1).passages[0]
    assert top.doc_id == "quokka.txt"


def test_bm25_is_cached_per_store_version_for_the_next_process(seeds_copy, tmp_path, embedder):
    store = ChunkStore(open_client(tmp_path / "store"), "corpus")
    index_paths([seeds_copy], store, embedder, ChunkSpec(), progress=False)
    cache = tmp_path / "bm25"
    config = RetrievalConfig(dense_weight=0.0, bm25_cache=cache)
    query = "Gazprom memorandum National Iranian Oil Company"
    built = HybridRetriever(store, embedder, config).retrieve(query)
    assert [p.name for p in cache.iterdir()] == [store.version()]

    class NoNodes(ChunkStore):
        def nodes(self, where=None):
            raise AssertionError("BM25 was rebuilt from the store")

    cached = HybridRetriever(NoNodes(store.client, "corpus"), embedder, config).retrieve(query)
    assert [p.chunk_id for p in cached.passages] == [p.chunk_id for p in built.passages]
    assert cached.best_sparse == built.best_sparse > 0

    (cache / store.version() / "params.index.json").write_text("{broken")
    rebuilt = HybridRetriever(store, embedder, config).retrieve(query)  # a warning, no failure
    assert rebuilt.best_sparse == built.best_sparse
    repaired = HybridRetriever(NoNodes(store.client, "corpus"), embedder, config).retrieve(query)
    assert repaired.best_sparse == built.best_sparse  # and the damaged copy was replaced

    (seeds_copy / "003_88517bc1fb036881.txt").unlink()
    index_paths([seeds_copy], store, embedder, ChunkSpec(), prune=True, progress=False)
    HybridRetriever(store, embedder, config).retrieve(query)
    assert [p.name for p in cache.iterdir()] == [store.version()]  # the old version is gone


def test_passages_carry_their_indexed_token_counts_merged_ones_the_sum(retriever, corpus_store):
    counts = {n.node_id: int(n.metadata["tokens"]) for n in corpus_store.nodes()}
    retrieval = retriever.retrieve(
        "Russia Iran strategic partnership agreement gas pipeline sanctions Syria Assad",
        top_k=10,
        doc_ids=["004_39dbd394bf72ebd5.txt"],
    )
    chunks = corpus_store.nodes({"doc_id": "004_39dbd394bf72ebd5.txt"})
    merged = [
        p
        for p in retrieval.passages
        if p.end - p.start > max(c.end_char_idx - c.start_char_idx for c in chunks)
    ]
    assert merged, "no merged passage to check"
    for passage in retrieval.passages:
        inside = [
            c for c in chunks if passage.start <= c.start_char_idx and c.end_char_idx <= passage.end
        ]
        assert passage.tokens == sum(counts[c.node_id] for c in inside) > 0
