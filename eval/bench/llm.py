"""The local model: llama.cpp through our pipeline beside `create_chat_completion` called
directly on the same messages (the model's prompt cache reset before every run, both sides)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from eval.bench.config import BenchConfig, store_settings
from eval.stats import ms, rounded, timed


def bench_llamacpp(store_dir: Path, questions: list[str], config: BenchConfig) -> dict:
    from rag import factory
    from rag.backends.base import BackendError
    from rag.prompt import SYSTEM, fit_passages, user_prompt
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
        passages = fit_passages(
            pipe.retriever.retrieve(question, pipe.config.top_k).passages,
            pipe.config.context_tokens,
        )
        messages = [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": user_prompt(question, passages)},
        ]
        llama.reset()
        ours = _stream_times(pipe.stream(question), lambda e: isinstance(e, TextDelta))
        llama.reset()
        direct = _stream_times(
            llama.create_chat_completion(
                messages=messages, temperature=0.0, max_tokens=max_tokens, stream=True, seed=0
            ),
            lambda c: bool(c["choices"][0]["delta"].get("content")),
        )
        runs.append(
            {"prompt_tokens": _prompt_tokens(llama, messages), "ours": ours, "direct": direct}
        )

    def med(side: str, key: str) -> float | None:
        values = [r[side][key] for r in runs if r[side][key] is not None]
        return statistics.median(values) if values else None

    return {
        "model": str(backend.path.name),
        "load_s": rounded(load),
        "max_tokens": max_tokens,
        "questions": len(runs),
        "prompt_tokens": statistics.median(r["prompt_tokens"] for r in runs),
        "ttft_ms": ms(med("ours", "ttft")),
        "tokens_per_s": rounded(med("ours", "tokens_per_s"), 2),
        "total_ms": ms(med("ours", "total")),
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


def _stream_times(events: Iterable[Any], is_token: Callable[[Any], bool]) -> dict:
    """Seconds to the first token and in all, token count and tokens/s after the first."""
    started = time.perf_counter()
    first, tokens = None, 0
    for event in events:
        if is_token(event):
            first = first or time.perf_counter()
            tokens += 1
    end = time.perf_counter()
    first = first or end
    return {
        "ttft": first - started,
        "total": end - started,
        "tokens": tokens,
        "tokens_per_s": (tokens - 1) / (end - first) if tokens > 1 and end > first else None,
    }
