"""Cold starts: `rag --help`, `rag ask` and `rag ui` (until its page answers) in new processes,
over a store the benchmark built."""

from __future__ import annotations

import os
import statistics
import subprocess
from pathlib import Path

from eval.bench.config import COLLECTION, ROOT
from eval.processes import ServerProcess, console_script, free_port
from eval.stats import rounded, timed


def bench_cold(store_dir: Path, question: str, reps: int = 2) -> dict:
    env = os.environ | {
        "RAG_STORE_DIR": str(store_dir),
        "RAG_COLLECTION": COLLECTION,
        "RAG_BACKEND": "extractive",
    }
    env.pop("RAG_CHROMA_URL", None)
    rag = console_script("rag")
    helps, asks = [], []
    for _ in range(reps):
        helps.append(timed(lambda: _run([rag, "--help"], env))[0])
        asks.append(timed(lambda: _run([rag, "ask", question, "--json"], env))[0])
    return {
        "cold_help_s": rounded(statistics.median(helps)),
        "cold_ask_s": rounded(statistics.median(asks)),
        "cold_ui_s": rounded(cold_ui(env)),
    }


def _run(command: list[str], env: dict) -> None:
    done = subprocess.run(
        command, env=env, cwd=ROOT, capture_output=True, text=True, check=False, timeout=600
    )
    if done.returncode:
        raise RuntimeError(f"{' '.join(command[:2])} failed: {done.stderr[-2000:]}")


def cold_ui(env: dict, timeout_s: float = 120.0) -> float | None:
    """Seconds from `rag ui` start until its page answers on 127.0.0.1 (None: it never did)."""
    port = free_port()
    env = env | {"RAG_UI_HOST": "127.0.0.1", "RAG_UI_PORT": str(port)}
    server = ServerProcess(
        [console_script("rag"), "ui"], port, timeout_s=timeout_s, env=env, cwd=ROOT
    )
    try:
        return server.start()
    except RuntimeError:
        return None
    finally:
        server.stop()
