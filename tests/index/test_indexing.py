import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from corpus import SEEDS

from index.chunking import ChunkSpec
from index.indexer import index_paths
from index.store import (
    CHROMA_FILE,
    LOCK_FILE,
    ChunkStore,
    StoreError,
    drop_embedded,
    open_client,
)

RAG = str(Path(sys.executable).parent / "rag")


def build(folder: Path, store_dir: Path, embedder, prune: bool = False):
    store = ChunkStore(open_client(store_dir), "corpus")
    return store, index_paths([folder], store, embedder, ChunkSpec(), prune=prune, progress=False)


def snapshot(store: ChunkStore) -> dict[str, tuple]:
    found = store.chunks.get(include=["documents", "metadatas"])
    return {
        i: (text, meta["start"], meta["end"], meta["content_hash"])
        for i, text, meta in zip(found["ids"], found["documents"], found["metadatas"], strict=True)
    }


def test_index_then_reindex_is_a_no_op(seeds_copy, tmp_path, embedder):
    store, first = build(seeds_copy, tmp_path / "store", embedder)
    assert first.added == 5 and first.chunks == store.chunk_count() > 5
    before = snapshot(store)
    store, again = build(seeds_copy, tmp_path / "store", embedder)
    assert (again.added, again.updated, again.unchanged, again.chunks) == (0, 0, 5, 0)
    assert snapshot(store) == before
    docs = store.documents()
    assert set(docs) == {p.name for p in SEEDS.glob("*.txt")}
    for doc_id, doc in docs.items():
        source = (seeds_copy / doc_id).read_text(encoding="utf-8")
        chunks = store.chunks.get(where={"doc_id": doc_id}, include=["documents", "metadatas"])
        assert len(chunks["ids"]) == doc.n_chunks
        for text, meta in zip(chunks["documents"], chunks["metadatas"], strict=True):
            assert source[meta["start"] : meta["end"]] == text


def test_changed_file_replaces_its_chunks(seeds_copy, tmp_path, embedder):
    store, _ = build(seeds_copy, tmp_path / "store", embedder)
    path = seeds_copy / "001_a9912d943c8d215c.txt"
    old_ids = set(store.chunks.get(where={"doc_id": path.name})["ids"])
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text[: len(text) // 3] + "\nThe zebra treaty was signed on the moon.\n", encoding="utf-8"
    )
    store, report = build(seeds_copy, tmp_path / "store", embedder)
    assert (report.updated, report.unchanged) == (1, 4)
    chunks = store.chunks.get(where={"doc_id": path.name}, include=["documents"])
    assert len(chunks["ids"]) < len(old_ids)
    assert any("zebra treaty" in t for t in chunks["documents"])
    assert not any("BRICS" in t for t in chunks["documents"])  # text from the removed part is gone


def test_prune_drops_documents_whose_files_are_gone(seeds_copy, tmp_path, embedder):
    store, _ = build(seeds_copy, tmp_path / "store", embedder)
    (seeds_copy / "004_39dbd394bf72ebd5.txt").unlink()
    store, kept = build(seeds_copy, tmp_path / "store", embedder)
    assert kept.removed == 0 and "004_39dbd394bf72ebd5.txt" in store.documents()
    store, report = build(seeds_copy, tmp_path / "store", embedder, prune=True)
    assert report.removed == 1
    assert "004_39dbd394bf72ebd5.txt" not in store.documents()
    assert store.chunk_count("004_39dbd394bf72ebd5.txt") == 0


def test_store_version_changes_exactly_when_documents_do(seeds_copy, tmp_path, embedder):
    store, _ = build(seeds_copy, tmp_path / "store", embedder)
    first = store.version()
    assert first
    store, _ = build(seeds_copy, tmp_path / "store", embedder)
    assert store.version() == first  # nothing changed
    shutil.copy(seeds_copy / "001_a9912d943c8d215c.txt", seeds_copy / "new.txt")
    store, _ = build(seeds_copy, tmp_path / "store", embedder)
    added = store.version()
    assert added != first
    (seeds_copy / "new.txt").unlink()
    store, _ = build(seeds_copy, tmp_path / "store", embedder, prune=True)
    assert store.version() not in {first, added}


def test_bad_files_are_reported_and_skipped(seeds_copy, tmp_path):
    (seeds_copy / "empty.txt").write_text("")
    (seeds_copy / "binary.txt").write_bytes(b"\x00\x01\x02 binary junk" * 20)
    (seeds_copy / "latin1.md").write_bytes(
        "Caf\xe9 cr\xe8me, a long enough sentence here.".encode("latin-1")
    )
    (seeds_copy / "nested" / "deeper").mkdir(parents=True)
    shutil.copy(SEEDS / "001_a9912d943c8d215c.txt", seeds_copy / "nested" / "deeper" / "copy.txt")
    env = {**os.environ, "RAG_STORE_DIR": str(tmp_path / "store")}
    result = subprocess.run(
        [RAG, "index", str(seeds_copy), "-q"], env=env, capture_output=True, text=True
    )
    assert result.returncode == 3, result.stderr
    assert "empty.txt: empty file" in result.stderr
    assert "binary.txt: binary file" in result.stderr
    assert "latin1.md: not UTF-8 (byte 0xe9" in result.stderr
    assert "6 added" in result.stdout and "3 skipped" in result.stdout
    status = json.loads(
        subprocess.run(
            [RAG, "status", "--json"], env=env, capture_output=True, text=True, check=True
        ).stdout
    )
    assert status["documents"] == 6
    assert "nested/deeper/copy.txt" in status["by_document"]
    assert {"documents", "chunks", "store", "embedding_model"} <= set(status)


def test_documents_written_together_are_stored_as_written_one_by_one(
    seeds_copy, tmp_path, embedder
):
    one_by_one, _ = build(seeds_copy, tmp_path / "one", embedder)
    together = ChunkStore(open_client(tmp_path / "together"), "corpus")
    report = index_paths([seeds_copy], together, embedder, ChunkSpec(), batch_chunks=1000)
    assert report.added == 5 and snapshot(together) == snapshot(one_by_one)
    changed = sorted(seeds_copy.iterdir())[0]
    changed.write_text("A new text about a zebra treaty.\n", encoding="utf-8")
    again = index_paths([seeds_copy], together, embedder, ChunkSpec(), batch_chunks=1000)
    assert (again.updated, again.unchanged) == (1, 4)
    docs = together.documents()
    assert together.complete(docs) == set(docs)  # the old chunks of the changed file are gone
    assert together.chunk_count() == sum(d.n_chunks for d in docs.values())


def test_drop_deletes_its_own_index_only(seeds_copy, tmp_path, embedder):
    client = open_client(tmp_path / "store")
    ours, other = ChunkStore(client, "corpus"), ChunkStore(client, "other")
    one = [sorted(seeds_copy.iterdir())[0]]
    for store in (ours, other):
        index_paths(one, store, embedder, ChunkSpec(), progress=False)
    ours.drop()
    with pytest.raises(StoreError, match="no index named 'corpus'"):
        ChunkStore(client, "corpus", create=False)
    assert ChunkStore(client, "other", create=False).chunk_count() == other.chunk_count() > 0


def test_drop_embedded_deletes_chromas_files_and_keeps_the_lock_and_others(tmp_path):
    store_dir = tmp_path / "store"
    folder = f"{uuid.uuid4()}"
    for name in (LOCK_FILE, "chats.db", CHROMA_FILE, f"{CHROMA_FILE}-wal", f"{folder}/x.bin"):
        (store_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (store_dir / name).write_bytes(b"x")
    (store_dir / "notes").mkdir()
    drop_embedded(store_dir)
    assert sorted(p.name for p in store_dir.iterdir()) == ["chats.db", "notes", LOCK_FILE]


def _many_docs(folder: Path, copies: int) -> None:
    folder.mkdir()
    for i in range(copies):
        for seed in sorted(SEEDS.glob("*.txt")):
            text = seed.read_text(encoding="utf-8").replace("Iran", f"Iran{i}")
            (folder / f"{i:02d}_{seed.name}").write_text(text, encoding="utf-8")


def test_a_killed_run_is_completed_by_the_next(tmp_path):
    corpus = tmp_path / "many"
    _many_docs(corpus, 4)
    clean_env = {**os.environ, "RAG_STORE_DIR": str(tmp_path / "clean")}
    subprocess.run(
        [RAG, "index", str(corpus), "-q"], env=clean_env, check=True, capture_output=True
    )
    clean = json.loads(
        subprocess.run(
            [RAG, "status", "--json"], env=clean_env, capture_output=True, check=True
        ).stdout
    )

    env = {**os.environ, "RAG_STORE_DIR": str(tmp_path / "killed")}
    rng = random.Random(7)
    for _ in range(3):
        process = subprocess.Popen(
            [RAG, "index", str(corpus), "-q"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(2.0, 5.0))
        process.send_signal(signal.SIGKILL)
        process.wait()
    subprocess.run([RAG, "index", str(corpus), "-q"], env=env, check=True, capture_output=True)
    status = json.loads(
        subprocess.run([RAG, "status", "--json"], env=env, capture_output=True, check=True).stdout
    )
    assert (status["documents"], status["chunks"]) == (clean["documents"], clean["chunks"])
    assert status["incomplete"] == []
    assert status["by_document"] == clean["by_document"]


@pytest.mark.parametrize("missing", [True])
def test_status_without_an_index_says_what_to_do(tmp_path, missing):
    env = {**os.environ, "RAG_STORE_DIR": str(tmp_path / "nowhere")}
    result = subprocess.run([RAG, "status"], env=env, capture_output=True, text=True)
    assert result.returncode == 1
    assert "no index at" in result.stderr and "rag index" in result.stderr
