"""Cold starts: `rag --help`, `rag ask` and `rag ui` (until its page is served, and until it
has answered a question) in new processes, over a store the benchmark built."""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from pathlib import Path

import httpx

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
    page, answer = cold_ui(env, question)
    return {
        "cold_help_s": rounded(statistics.median(helps)),
        "cold_ask_s": rounded(statistics.median(asks)),
        "cold_ui_s": rounded(page),
        "cold_ui_answer_s": rounded(answer),
    }


def _run(command: list[str], env: dict) -> None:
    done = subprocess.run(
        command, env=env, cwd=ROOT, capture_output=True, text=True, check=False, timeout=600
    )
    if done.returncode:
        raise RuntimeError(f"{' '.join(command[:2])} failed: {done.stderr[-2000:]}")


def cold_ui(env: dict, question: str, timeout_s: float = 120.0) -> tuple[float | None, ...]:
    """Seconds from `rag ui` start until its page is served on 127.0.0.1, and until it has
    answered `question` through its /ask API ((None, None): it never did)."""
    port = free_port()
    env = env | {"RAG_UI_HOST": "127.0.0.1", "RAG_UI_PORT": str(port)}
    server = ServerProcess(
        [console_script("rag"), "ui"], port, timeout_s=timeout_s, env=env, cwd=ROOT
    )
    started = time.perf_counter()
    try:
        page = server.start()
        _ask(server.url, question, timeout_s)
        return page, time.perf_counter() - started
    except (RuntimeError, httpx.HTTPError):
        return None, None
    finally:
        server.stop()


def _ask(url: str, question: str, timeout_s: float) -> None:
    """One question through Gradio's HTTP API (no client library to load: its import time is
    not the server's)."""
    call = f"{url}/gradio_api/call/ask"
    sent = httpx.post(call, json={"data": [question, None, None, None]}, timeout=timeout_s)
    reply = httpx.get(f"{call}/{sent.raise_for_status().json()['event_id']}", timeout=timeout_s)
    if "event: complete" not in reply.raise_for_status().text:
        raise RuntimeError(f"/ask did not answer: {reply.text[-500:]}")
