"""The local model: llama.cpp through our pipeline beside `create_chat_completion` called
directly on the same messages (the model's prompt cache reset before every run, both sides)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from eval.bench.config import BenchConfig, store_settings
from eval.stats import ms, percentile, rounded, timed

FOLLOW_UP = "And what else do the documents say about it?"


def bench_llamacpp(store_dir: Path, questions: list[str], config: BenchConfig) -> dict:
    from rag import factory
    from rag.analysis import analyse
    from rag.backends.base import BackendError
    from rag.types import TextDelta

    settings = store_settings(store_dir)
    max_tokens = config.llm_max_tokens
    try:
        load, backend = timed(lambda: factory.backend(settings, "llamacpp", max_tokens=max_tokens))
    except BackendError as error:
        return {"skipped": str(error)}
    pipe = factory.pipeline(settings, answer_backend=backend)
    llama = backend._model.llama
    runs = []
    for question in questions[: config.llm_questions]:
        passages = pipe.retriever.retrieve(question, pipe.config.top_k).passages
        request = pipe.request_for(analyse(question), passages)
        messages = [
            {"role": "system", "content": request.system},
            {"role": "user", "content": request.prompt},
        ]
        llama.reset()
        ours, done = _stream_times(pipe.stream(question), lambda e: isinstance(e, TextDelta))
        follow_up, _ = _stream_times(
            pipe.stream(FOLLOW_UP, [(question, done.answer.answer)]),
            lambda e: isinstance(e, TextDelta),
        )
        llama.reset()
        direct, _ = _stream_times(
            llama.create_chat_completion(
                messages=messages, temperature=0.0, max_tokens=max_tokens, stream=True, seed=0
            ),
            lambda c: bool(c["choices"][0]["delta"].get("content")),
        )
        runs.append(
            {
                "prompt_tokens": _prompt_tokens(llama, messages),
                "ours": ours,
                "follow_up": follow_up,
                "direct": direct,
            }
        )

    def med(side: str, key: str, q: float = 50) -> float | None:
        return percentile([r[side][key] for r in runs if r[side][key] is not None], q)

    return {
        "model": str(backend.path.name),
        "load_s": rounded(load),
        "max_tokens": max_tokens,
        "questions": len(runs),
        "prompt_tokens": statistics.median(r["prompt_tokens"] for r in runs),
        "ttft_ms": ms(med("ours", "ttft")),
        "tokens_per_s": rounded(med("ours", "tokens_per_s"), 2),
        "total_ms": ms(med("ours", "total")),
        "ttft_p95_ms": ms(med("ours", "ttft", 95)),
        "total_p95_ms": ms(med("ours", "total", 95)),
        "follow_up_ttft_ms": ms(med("follow_up", "ttft")),
        "follow_up_total_ms": ms(med("follow_up", "total")),
        "direct_ttft_ms": ms(med("direct", "ttft")),
        "direct_tokens_per_s": rounded(med("direct", "tokens_per_s"), 2),
        "direct_total_ms": ms(med("direct", "total")),
        "prompt_tokens_per_s": rounded(
            statistics.median(r["prompt_tokens"] / r["direct"]["ttft"] for r in runs), 1
        ),
        "overhead_ratio": rounded(med("ours", "total") / med("direct", "total")),
        "ttft_overhead_ratio": rounded(med("ours", "ttft") / med("direct", "ttft")),
        "generated_tokens": [r["ours"]["tokens"] for r in runs],
    }


def _prompt_tokens(llama, messages: list[dict]) -> int:
    """Tokens of the chat prompt exactly as llama.cpp sees it (the GGUF's chat template)."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    template = llama.metadata["tokenizer.chat_template"]
    eos = llama._model.token_get_text(llama.token_eos())
    bos = llama._model.token_get_text(llama.token_bos()) if llama.token_bos() >= 0 else ""
    prompt = Jinja2ChatFormatter(template, eos_token=eos, bos_token=bos)(messages=messages).prompt
    return len(llama.tokenize(prompt.encode(), add_bos=False, special=True))


def _stream_times(events: Iterable[Any], is_token: Callable[[Any], bool]) -> tuple[dict, Any]:
    """Seconds to the first token and in all, token count and tokens/s after the first; and
    the last event (a pipeline's `Completed` answer)."""
    started = time.perf_counter()
    first, tokens, last = None, 0, None
    for event in events:
        if is_token(event):
            first = first or time.perf_counter()
            tokens += 1
        last = event
    end = time.perf_counter()
    first = first or end
    times = {
        "ttft": first - started,
        "total": end - started,
        "tokens": tokens,
        "tokens_per_s": (tokens - 1) / (end - first) if tokens > 1 and end > first else None,
    }
    return times, last
