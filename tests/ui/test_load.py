"""The load run of eval/load.py, small: sessions at once against the served page and clients
of its OpenAI-compatible API, no errors, and the server's memory flat after the warm-up."""

from __future__ import annotations

from pathlib import Path

from eval import load

SESSIONS, PER_SESSION = 6, 2
GROWTH_MB = 40  # a measured round must not keep growing the server


def test_concurrent_sessions_get_cited_answers_and_memory_stays_flat(corpus_store, tmp_path):
    store_dir = Path(corpus_store.client.get_settings().persist_directory)
    plan = [("extractive", SESSIONS, PER_SESSION), ("extractive", SESSIONS, PER_SESSION, "api")]
    result = load.run(store_dir, plan, tmp_path / "server.log")
    print("\n" + load.table(result))
    assert result.errors == []
    assert [(r["via"], r["round"]) for r in result.rounds] == [
        ("page", "warm-up"), ("page", "measured"), ("api", "warm-up"), ("api", "measured")
    ]  # fmt: skip
    for figures in result.rounds:
        assert figures["requests"] == SESSIONS * PER_SESSION
        assert 0 < figures["p50_s"] <= figures["p95_s"] <= figures["max_s"]
    memory = result.memory_mb
    assert memory["extractive after"] - memory["extractive warm"] < GROWTH_MB, memory
    assert memory["extractive api after"] - memory["extractive api warm"] < GROWTH_MB, memory
