"""A bounded load run against the served chat page, through `gradio_client` on 127.0.0.1,
and against the same server's OpenAI-compatible API, through the `openai` client.

    rag load                      # 25 page sessions extractive, 25 API clients, 4 llamacpp
    rag load --sessions 5 --api-sessions 0 --llamacpp-sessions 0 --questions 2

The server runs in its own process (the app `rag ui` serves, over the store in RAG_STORE_DIR,
or a fresh index of the seeds with --fresh-index), so its memory is measured alone. For each
backend, a warm-up round runs first (every session asks its questions once: models loaded,
caches filled), then the measured round asks the same again. Reported: requests, errors (an
exception, or an `error` in the answer), answers without a citation (abstentions: a quality
figure, not a failure), p50 and p95 latency, and the server's memory after start, after the
warm-up and after the measured round. Exit status 1 if any request failed.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, NamedTuple

from eval.bench.config import ROOT, SEEDS, dev_questions
from eval.processes import ServerProcess, console_script, free_port
from eval.stats import percentile

Via = Literal["page", "api"]


class Step(NamedTuple):
    """One part of a load plan: `sessions` clients of `via`, each asking `per_session`."""

    backend: str
    sessions: int
    per_session: int
    via: Via = "page"


@dataclass
class Round:
    backend: str
    sessions: int
    via: Via = "page"
    requests: int = 0
    errors: list[str] = field(default_factory=list)
    uncited: int = 0
    latencies_s: list[float] = field(default_factory=list)
    seconds: float = 0.0

    def figures(self) -> dict:
        return {
            "backend": self.backend,
            "via": self.via,
            "sessions": self.sessions,
            "requests": self.requests,
            "errors": len(self.errors),
            "uncited": self.uncited,
            "p50_s": round(percentile(self.latencies_s, 50) or 0.0, 2),
            "p95_s": round(percentile(self.latencies_s, 95) or 0.0, 2),
            "max_s": round(max(self.latencies_s, default=0.0), 2),
            "per_minute": round(60 * self.requests / self.seconds, 1) if self.seconds else 0.0,
        }


@dataclass
class LoadResult:
    rounds: list[dict] = field(default_factory=list)
    memory_mb: dict[str, float] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def serve(store_dir: Path, backend: str, log: Path) -> ServerProcess:
    """`rag ui` over `store_dir` on a free port of 127.0.0.1 (not started yet)."""
    port = free_port()
    command = [console_script("rag"), "ui", "--host", "127.0.0.1", "--port", str(port)]
    return ServerProcess(
        [*command, "--backend", backend],
        port,
        timeout_s=300,
        env={**os.environ, "RAG_STORE_DIR": str(store_dir)},
        cwd=ROOT,
        log=log,
    )


def rss_mb(server: ServerProcess) -> float:
    """Resident memory of the server and every process it started."""
    import psutil

    process = psutil.Process(server.process.pid)
    family = [process, *process.children(recursive=True)]
    return round(sum(p.memory_info().rss for p in family) / 2**20, 1)


def client(url: str, auth: tuple[str, str] | None = None):
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from gradio_client import Client

    return Client(
        url,
        auth=auth,
        verbose=False,
        analytics_enabled=False,
        download_files=False,
        httpx_kwargs={"timeout": 300},  # a loaded machine may take long to answer at all
    )


Asker = Callable[[str], tuple[str | None, bool]]  # question -> (error or None, uncited)


def page_asker(url: str, backend: str) -> Asker:
    api = client(url)

    def ask(question: str) -> tuple[str | None, bool]:
        answer = api.predict(question=question, backend=backend, api_name="/ask")
        return answer.get("error"), not answer["citations"]

    return ask


def api_asker(url: str, backend: str) -> Asker:
    """The `openai` client on /v1 (the load server is on loopback without a login: no key)."""
    from openai import OpenAI

    api = OpenAI(base_url=f"{url}/v1", api_key="none", max_retries=0, timeout=300)

    def ask(question: str) -> tuple[str | None, bool]:
        completion = api.chat.completions.create(
            model=backend, messages=[{"role": "user", "content": question}]
        )
        return None, not completion.model_extra["citations"]  # a failure raises

    return ask


ASKERS: dict[Via, Callable[[str, str], Asker]] = {"page": page_asker, "api": api_asker}


def run_round(
    url: str, backend: str, sessions: int, questions: list[str], per_session: int, via: Via = "page"
) -> Round:
    """`sessions` clients at once, each asking `per_session` questions one after another."""
    result = Round(backend, sessions, via)
    lock = threading.Lock()

    def session(index: int) -> None:
        try:
            ask = ASKERS[via](url, backend)
        except Exception as error:  # counted, never raised: the figures must still print
            with lock:
                result.errors.append(f"session {index}: cannot connect: {error}")
            return
        for i in range(per_session):
            question = questions[(index * per_session + i) % len(questions)]
            started = time.perf_counter()
            uncited = False
            try:
                problem, uncited = ask(question)
            except Exception as error:
                problem = f"{type(error).__name__}: {error}"
            with lock:
                result.requests += 1
                result.uncited += uncited
                result.latencies_s.append(time.perf_counter() - started)
                if problem:
                    result.errors.append(f"session {index}, {question!r}: {problem}")

    started = time.perf_counter()
    threads = [threading.Thread(target=session, args=(i,)) for i in range(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - started
    return result


def run(store_dir: Path, plan: list[tuple], log: Path, say=print) -> LoadResult:
    """Serve the store, then for each `Step` (backend, sessions, questions per session, via
    the page or the API): a warm-up round and a measured one."""
    questions = dev_questions(answerable_only=True)
    result = LoadResult()
    with serve(store_dir, plan[0][0], log) as server:
        result.memory_mb["started"] = rss_mb(server)
        for backend, sessions, per_session, via in (Step(*step) for step in plan):
            name = backend if via == "page" else f"{backend} {via}"
            say(f"{name}: warm-up, {sessions} sessions x {per_session} questions")
            warm = run_round(server.url, backend, sessions, questions, per_session, via)
            result.memory_mb[f"{name} warm"] = rss_mb(server)
            say(f"{name}: measured round")
            measured = run_round(server.url, backend, sessions, questions, per_session, via)
            result.memory_mb[f"{name} after"] = rss_mb(server)
            result.rounds.append({**warm.figures(), "round": "warm-up"})
            result.rounds.append({**measured.figures(), "round": "measured"})
            result.errors += warm.errors + measured.errors
    return result


COLUMNS = ("backend", "via", "round", "sessions", "requests", "errors", "uncited", "p50_s", "p95_s",
           "max_s", "per_minute")  # fmt: skip


def table(result: LoadResult) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(str(r[c]) for c in COLUMNS) + " |" for r in result.rounds]
    memory = ", ".join(f"{k} {v} MB" for k, v in result.memory_mb.items())
    return "\n".join([*lines, "", f"server memory (RSS): {memory}"])


def fresh_store(folder: Path) -> Path:
    """The seeds indexed into `folder` by the real command line."""
    env = {**os.environ, "RAG_STORE_DIR": str(folder)}
    subprocess.run(
        [console_script("rag"), "index", str(SEEDS), "-q"],
        env=env,
        check=True,
    )
    return folder
