"""The chat page as a user sees it: `make run`'s configuration, asked in Chromium.

`serving` indexes the seeds into a new store (`rag index`), serves it with `rag ui` in a child
process as `make run` does (the local model, `llamacpp`, with the `extractive` fallback) and
waits until the model's warm-up is over: until then `/ask` answers with the fallback. `asked`
types a question into the page and presses Enter; a script in the page timestamps, with the
page's own clock, the Enter key, the first answer text with a citation (or a declining
answer) in the new reply, and the final reply: the model's refined answer, the "did not pass"
note under the first answer, or an answer given at once where the model was not asked.

`python -m eval.bench.page --questions 10` prints the times of the first and of the final
answer (p50, p95), the share of replies the model refined, and the load average. It is a
measurement, not a test: nothing here fails on a slow machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from eval.bench.config import ROOT, SEEDS
from eval.bench.machine import load_average
from eval.processes import ServerProcess, console_script, free_port
from eval.stats import percentile, rounded

CHROMIUM = Path("/usr/bin/chromium")  # Debian's
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking"]  # fmt: skip
VIEWPORT = {"width": 1280, "height": 900}
ANSWER_TIMEOUT_S = 180.0  # a busy 2-core machine; a measurement, not a limit
WARM_UP_TIMEOUT_S = 600.0
# settings that would point the page at another store, or put a login in front of it
ELSEWHERE = {"RAG_CHROMA_URL", "RAG_CHROMA_HOST", "RAG_COLLECTION", "RAG_CHATS_URL",
             "RAG_UI_USER", "RAG_UI_PASSWORD"}  # fmt: skip

# Written for this benchmark (not from eval/questions), alternating: a factual question, where
# the checked extractive answer may be complete, then a why/what one, where the model is asked.
QUESTIONS = (
    "How much did trade between Iran and Azerbaijan grow to by March 2023?",
    "Why are Russia and Iran looking for a closer partnership?",
    "When did Putin and Raisi sign the deal for the railway from Astara to Rasht?",
    "What areas does the new Russia-Iran agreement cover?",
    "How much gas a year could the pipeline carry in its final stage?",
    "Why did Tehran see the Nakhchivan corridor as a threat?",
    "Who wrote the analysis of the Azerbaijan-Iran normalization?",
    "What did Putin's visit to Tehran in July 2022 show about the alliance?",
    "How large is the yearly trade between Russia and Iran?",
    "Why did Iran and Azerbaijan agree to build a bridge on the Astarachay River?",
)

# Asked through /ask until the model answers it (none of the above: its prompt is not cached).
WARM_QUESTION = "What do the documents say about sanctions?"

# Installed in the page before a question is sent: timestamps (performance.now(), ms) of the
# Enter key in the question box, of the first reply text with a citation (or a declining
# answer, or an error) in the reply after the `before`-th, and of the final reply (a meta line
# with no "refining" status above it, or an error).
TIMER = """(before) => {
  const chat = document.querySelector('#chat');
  const box = document.querySelector('#question textarea');
  const t = window.__asked = {enter: null, first: null, final: null};
  box.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && t.enter === null) t.enter = performance.now();
  }, {capture: true});
  const check = () => {
    const bots = chat.querySelectorAll('[data-testid=bot]');
    if (t.enter === null || bots.length <= before) return;
    const reply = bots[bots.length - 1];
    const now = performance.now();
    if (t.first === null && reply.querySelector('a.cite, .abstain, .error')) t.first = now;
    const status = reply.querySelector('.status');
    const refining = status !== null && status.textContent.includes('refining');
    if (!refining && reply.querySelector('.meta, .error')) {
      t.final = now;
      observer.disconnect();
    }
  };
  const observer = new MutationObserver(check);
  observer.observe(chat, {childList: true, subtree: true, characterData: true});
}"""


@dataclass
class Asked:
    """One question on the page: seconds from Enter to the first cited answer text and to the
    final reply, how it ended, and what the page showed."""

    question: str
    first_s: float | None
    final_s: float
    outcome: str  # refined, kept first (the model's did not pass), model failed, at once, error
    answer: str
    status: str
    meta: str


def outcome(status: str, error: bool) -> str:
    """How a reply ended, from the status line under it (ui.app._status)."""
    if error:
        return "error"
    if status.startswith("refined by"):
        return "refined"
    if "failed" in status:
        return "model failed"
    if status:
        return "kept first"  # the model's answer did not pass the checks
    return "at once"  # the model was not asked


@contextmanager
def serving(log: Callable[[str], None] = print) -> Iterator[str]:
    """`make run`'s page over the seeds, indexed into a temporary store, once warm; its URL."""
    with tempfile.TemporaryDirectory(prefix="rag-page-", ignore_cleanup_errors=True) as tmp:
        yield from _serve(Path(tmp), log)


def _serve(work: Path, log: Callable[[str], None]) -> Iterator[str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ELSEWHERE} | {
        "RAG_STORE_DIR": str(work / "store"),
        "RAG_BACKEND": "llamacpp",
        "RAG_FALLBACK": "extractive",
        "RAG_UI_HOST": "127.0.0.1",
        "RAG_UI_PORT": str(port),
    }
    rag = console_script("rag")
    log("[page] rag index seeds/")
    subprocess.run([rag, "index", str(SEEDS), "-q"], env=env, cwd=ROOT, check=True)
    server = ServerProcess(
        [rag, "ui"], port, env=env, cwd=ROOT, log=work / "ui.log", timeout_s=WARM_UP_TIMEOUT_S
    )
    log(f"[page] rag ui (llamacpp, fallback extractive) on {server.url}")
    server.start()
    try:
        waited = wait_warm(server.url)
        log(f"[page] warm after {waited:.0f} s more")
        yield server.url
    finally:
        server.stop()


def wait_warm(url: str, question: str = WARM_QUESTION) -> float:
    """Ask through /ask until the model answers instead of its fallback; the seconds waited."""
    started = time.perf_counter()
    with httpx.Client(trust_env=False, timeout=ANSWER_TIMEOUT_S) as client:
        while time.perf_counter() - started < WARM_UP_TIMEOUT_S:
            if not ask_api(client, url, question)["backend"].startswith("extractive"):
                return time.perf_counter() - started
            time.sleep(2)
    raise RuntimeError(f"the page's model was not warm within {WARM_UP_TIMEOUT_S:.0f} s")


def ask_api(client: httpx.Client, url: str, question: str) -> dict[str, Any]:
    """One answer from the page's /ask (Gradio's HTTP API: an event, then its result)."""
    call = f"{url}/gradio_api/call/ask"
    sent = client.post(call, json={"data": [question, None, None, None]}).raise_for_status()
    reply = client.get(f"{call}/{sent.json()['event_id']}").raise_for_status().text
    _, complete, data = reply.rpartition("event: complete\ndata: ")
    if not complete:
        raise RuntimeError(f"/ask did not answer: {reply[-500:]}")
    return json.loads(data.splitlines()[0])[0]


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's chromium, headless, through Playwright."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        raise RuntimeError(f"needs Debian's chromium at {CHROMIUM}: apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def chat(browser: Any, url: str) -> Iterator[Any]:
    """A new page on the chat: a new conversation."""
    page = browser.new_page(viewport=VIEWPORT)
    page.set_default_timeout(ANSWER_TIMEOUT_S * 1000)
    page.goto(url, wait_until="load")
    page.locator("#question textarea").wait_for()
    try:
        yield page
    finally:
        page.close()


def asked(page: Any, question: str) -> Asked:
    """Type `question`, press Enter, wait for the final reply; its times and text."""
    bots = page.locator("#chat [data-testid=bot]")
    page.evaluate(TIMER, bots.count())
    page.locator("#question textarea").fill(question)
    page.keyboard.press("Enter")
    page.wait_for_function("window.__asked.final !== null", timeout=ANSWER_TIMEOUT_S * 1000)
    t = page.evaluate("window.__asked")
    reply = bots.last

    def text(selector: str) -> str:
        found = reply.locator(selector)
        return found.first.inner_text().strip() if found.count() else ""

    status = text(".status")
    return Asked(
        question=question,
        first_s=None if t["first"] is None else rounded((t["first"] - t["enter"]) / 1000),
        final_s=rounded((t["final"] - t["enter"]) / 1000),
        outcome=outcome(status, bool(reply.locator(".error").count())),
        answer=text(".answer, .abstain, .error"),
        status=status,
        meta=text(".meta"),
    )


def bench_page(questions: int = 10, log: Callable[[str], None] = print) -> dict[str, Any]:
    """`questions` of QUESTIONS asked on a warm page, each in a new chat; the figures."""
    chosen = [QUESTIONS[i % len(QUESTIONS)] for i in range(questions)]
    load_start = load_average()
    runs: list[Asked] = []
    with serving(log) as url, chromium() as browser:
        for question in chosen:
            with chat(browser, url) as page:
                runs.append(asked(page, question))
            done = runs[-1]
            log(f"[page] {done.first_s} s / {done.final_s} s {done.outcome}: {question}")
    firsts = [r.first_s for r in runs if r.first_s is not None]
    finals = [r.final_s for r in runs]
    model_asked = [r for r in runs if r.outcome in ("refined", "kept first", "model failed")]
    return {
        "questions": len(runs),
        "first_p50_s": rounded(percentile(firsts, 50)),
        "first_p95_s": rounded(percentile(firsts, 95)),
        "final_p50_s": rounded(percentile(finals, 50)),
        "final_p95_s": rounded(percentile(finals, 95)),
        "model_asked": len(model_asked),
        "refined": sum(r.outcome == "refined" for r in runs),
        "refined_share": rounded(sum(r.outcome == "refined" for r in runs) / len(runs)),
        "load_average_start": load_start,
        "load_average_end": load_average(),
        "runs": [asdict(r) for r in runs],
    }


def summary(result: dict[str, Any]) -> str:
    """The figures in one line."""
    return (
        f"page ({result['questions']} questions, llamacpp + extractive, warm): first cited "
        f"answer p50 {result['first_p50_s']} s, p95 {result['first_p95_s']} s; final answer "
        f"p50 {result['final_p50_s']} s, p95 {result['final_p95_s']} s; refined "
        f"{result['refined']} of {result['questions']} ({result['refined_share']:.0%}; "
        f"the model was asked {result['model_asked']} times); load average "
        f"{result['load_average_start'][0]} at start, {result['load_average_end'][0]} at end"
    )


def main(
    questions: Annotated[int, typer.Option(min=1, help="questions asked, each in a new chat")] = 10,
    out: Annotated[Path | None, typer.Option(help="write the figures here (JSON)")] = None,
) -> None:
    """Time the chat page in Chromium, as `make run` serves it."""
    result = bench_page(questions, log=lambda line: typer.echo(line, err=True))
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2))
    typer.echo(summary(result))


if __name__ == "__main__":
    typer.run(main)
