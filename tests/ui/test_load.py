"""The load run of eval/load.py, small: sessions at once against the served page, no errors,
and the server's memory flat after the warm-up."""

from __future__ import annotations

from pathlib import Path

from eval import load

SESSIONS, PER_SESSION = 6, 2
GROWTH_MB = 40  # a measured round must not keep growing the server


def test_concurrent_sessions_get_cited_answers_and_memory_stays_flat(corpus_store, tmp_path):
    store_dir = Path(corpus_store.client.get_settings().persist_directory)
    result = load.run(store_dir, [("extractive", SESSIONS, PER_SESSION)], tmp_path / "server.log")
    print("\n" + load.table(result))
    assert result.errors == []
    warm, measured = result.rounds
    assert warm["requests"] == measured["requests"] == SESSIONS * PER_SESSION
    assert 0 < measured["p50_s"] <= measured["p95_s"] <= measured["max_s"]
    memory = result.memory_mb
    assert memory["extractive after"] - memory["extractive warm"] < GROWTH_MB, memory
