"""A bounded load run against the served chat page, through `gradio_client` on 127.0.0.1.

    .venv/bin/python -m eval.load                      # 25 sessions extractive, then 4 llamacpp
    .venv/bin/python -m eval.load --sessions 5 --llamacpp-sessions 0 --questions 2

The server runs in its own process (the app `rag ui` serves, over the store in RAG_STORE_DIR,
or a fresh index of the seeds with --fresh-index), so its memory is measured alone. For each
backend, a warm-up round runs first (every session asks its questions once: models loaded,
caches filled), then the measured round asks the same again. Reported: requests, errors (an
exception, or an `error` in the answer), answers without a citation (abstentions: a quality
figure, not a failure), p50 and p95 latency, and the server's memory after start, after the
warm-up and after the measured round. Exit status 1 if any request failed.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from eval.metrics import percentile

ROOT = Path(__file__).resolve().parents[1]
DEV_SET = ROOT / "eval" / "questions" / "dev.jsonl"
RAG = Path(sys.executable).parent / "rag"


@dataclass
class Round:
    backend: str
    sessions: int
    requests: int = 0
    errors: list[str] = field(default_factory=list)
    uncited: int = 0
    latencies_s: list[float] = field(default_factory=list)
    seconds: float = 0.0

    def figures(self) -> dict:
        return {
            "backend": self.backend,
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


def corpus_questions() -> list[str]:
    rows = [json.loads(line) for line in DEV_SET.read_text(encoding="utf-8").splitlines() if line]
    return [row["question"] for row in rows if row["answerable"]]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """`rag ui` in a child process on 127.0.0.1."""

    def __init__(self, store_dir: Path, backend: str, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        env = {**os.environ, "RAG_STORE_DIR": str(store_dir)}
        self.log = log.open("wb")
        self.process = subprocess.Popen(
            [RAG, "ui", "--host", "127.0.0.1", "--port", str(self.port), "--backend", backend],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait(self, timeout_s: float = 300) -> None:
        import httpx

        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited: {self.log_tail()}")
            try:
                if httpx.get(self.url, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"the server did not answer within {timeout_s:.0f} s: {self.log_tail()}")

    def log_tail(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")[-2000:]

    def rss_mb(self) -> float:
        import psutil

        process = psutil.Process(self.process.pid)
        family = [process, *process.children(recursive=True)]
        return round(sum(p.memory_info().rss for p in family) / 2**20, 1)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


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


def run_round(
    url: str, backend: str, sessions: int, questions: list[str], per_session: int
) -> Round:
    """`sessions` clients at once, each asking `per_session` questions one after another."""
    result = Round(backend, sessions)
    lock = threading.Lock()

    def session(index: int) -> None:
        try:
            api = client(url)
        except Exception as error:  # counted, never raised: the figures must still print
            with lock:
                result.errors.append(f"session {index}: cannot connect: {error}")
            return
        for i in range(per_session):
            question = questions[(index * per_session + i) % len(questions)]
            started = time.perf_counter()
            uncited = False
            try:
                answer = api.predict(question=question, backend=backend, api_name="/ask")
                problem = answer.get("error")
                uncited = not answer["citations"]
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


def run(store_dir: Path, plan: list[tuple[str, int, int]], log: Path, say=print) -> LoadResult:
    """Serve the store, then for each (backend, sessions, questions per session): a warm-up
    round and a measured one."""
    questions = corpus_questions()
    server = Server(store_dir, plan[0][0], log)
    result = LoadResult()
    try:
        server.wait()
        result.memory_mb["started"] = server.rss_mb()
        for backend, sessions, per_session in plan:
            say(f"{backend}: warm-up, {sessions} sessions x {per_session} questions")
            warm = run_round(server.url, backend, sessions, questions, per_session)
            result.memory_mb[f"{backend} warm"] = server.rss_mb()
            say(f"{backend}: measured round")
            measured = run_round(server.url, backend, sessions, questions, per_session)
            result.memory_mb[f"{backend} after"] = server.rss_mb()
            result.rounds.append({**warm.figures(), "round": "warm-up"})
            result.rounds.append({**measured.figures(), "round": "measured"})
            result.errors += warm.errors + measured.errors
    finally:
        server.stop()
    return result


COLUMNS = ("backend", "round", "sessions", "requests", "errors", "uncited", "p50_s", "p95_s",
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
        [RAG, "index", str(ROOT / "seeds"), "-q"],
        env=env,
        check=True,
    )
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=25, help="extractive sessions at once")
    parser.add_argument("--llamacpp-sessions", type=int, default=4, help="0 to skip llamacpp")
    parser.add_argument("--questions", type=int, default=4, help="per extractive session")
    parser.add_argument("--llamacpp-questions", type=int, default=2, help="per llamacpp session")
    parser.add_argument("--fresh-index", action="store_true", help="index the seeds first")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    plan = [("extractive", args.sessions, args.questions)]
    if args.llamacpp_sessions:
        plan.append(("llamacpp", args.llamacpp_sessions, args.llamacpp_questions))
    with tempfile.TemporaryDirectory(prefix="rag-load-") as tmp:
        store = Path(os.environ.get("RAG_STORE_DIR", ROOT / ".rag"))
        if args.fresh_index:
            store = fresh_store(Path(tmp) / "store")
        result = run(store, plan, Path(tmp) / "server.log")
    print(table(result))
    for error in result.errors[:20]:
        print(f"error: {error}", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(asdict(result), indent=2), encoding="utf-8")
    return 1 if result.errors else 0


if __name__ == "__main__":
    sys.exit(main())
