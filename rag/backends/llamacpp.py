"""A local GGUF model run in this process by llama.cpp (default: Qwen2.5-Coder-0.5B-Instruct).

llama-cpp-python is called directly, not through llama-index's `LlamaCPP` LLM class
(llama-index-llms-llama-cpp): that wrapper renders chats with its own `messages_to_prompt`
(a Llama-2 format unless one is written per model) instead of the chat template stored in the
GGUF, would download a model from a URL when given no path, and adds no streaming or locking
that `Llama.create_chat_completion` lacks; it would be one more dependency for nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from rag.backends.base import (
    Backend,
    BackendError,
    BackendOptions,
    Embed,
    GenerationRequest,
    register,
    require,
)
from rag.backends.grammar import cited_gbnf, evidence_words, worded_gbnf
from rag.backends.models import DEFAULT_CACHE_DIR, DEFAULT_MODEL, resolve_model

N_CTX = 4096  # ~1500 passage tokens + system + question + answer, with room for tokenizer drift


@dataclass
class _Loaded:
    llama: Any
    #: one `Llama` is not re-entrant: generations are serialised, whichever thread asks
    lock: threading.Lock = field(default_factory=threading.Lock)


_MODELS: dict[tuple[str, int, int], _Loaded] = {}
_MODELS_LOCK = threading.Lock()


def load(path: Path, threads: int, n_ctx: int = N_CTX) -> _Loaded:
    """The model at `path`, loaded once per process (per thread count and context size)."""
    key = (str(path), threads, n_ctx)
    with _MODELS_LOCK:
        if key not in _MODELS:
            llama_cpp = require("llama_cpp", "llamacpp")
            try:
                llama = llama_cpp.Llama(
                    model_path=str(path),
                    n_ctx=n_ctx,
                    n_threads=threads,
                    n_threads_batch=threads,
                    seed=0,
                    verbose=False,
                )
            except (ValueError, RuntimeError, OSError) as error:
                raise BackendError(f"cannot load the model {path}: {error}") from None
            _MODELS[key] = _Loaded(llama)
        return _MODELS[key]


@cache
def cited_grammar(passages: int, not_found: str) -> Any:
    """`cited_gbnf` compiled for llama.cpp, once per shape."""
    return compiled(cited_gbnf(passages, not_found))


def compiled(gbnf: str) -> Any:
    llama_cpp = require("llama_cpp", "llamacpp")
    return llama_cpp.LlamaGrammar.from_string(gbnf, verbose=False)


@register("llamacpp")
class LlamaCppBackend(Backend):
    extra = "llamacpp"

    class Options(BackendOptions):
        model_config = SettingsConfigDict(env_prefix="RAG_LLM_")
        model: str = Field(DEFAULT_MODEL, description="a packaged model name or a GGUF path")
        cache_dir: Path = Field(
            DEFAULT_CACHE_DIR,
            validation_alias="RAG_MODEL_CACHE_DIR",
            description="where packaged models are assembled",
        )
        threads: int = Field(2, ge=1)
        max_tokens: int = Field(256, ge=1, description="answer length limit")
        worded: bool = Field(
            False, description="claims only in the evidence's own words (a grammar of them)"
        )

    def __init__(self, options: Options | None = None, embed: Embed | None = None) -> None:
        super().__init__(options, embed)
        require("llama_cpp", "llamacpp")
        self.path = resolve_model(self.options.model, self.options.cache_dir)
        self._model = load(self.path, self.options.threads)

    def execute(self, request: GenerationRequest, stream: bool = True) -> Iterator[str]:
        messages = [{"role": "user", "content": request.prompt or request.question}]
        if request.system:
            messages.insert(0, {"role": "system", "content": request.system})
        grammar = None
        if request.cited and self.options.worded:
            words = evidence_words(p.text for p in request.passages)
            grammar = compiled(worded_gbnf(len(request.passages), request.not_found, words))
        elif request.cited:
            grammar = cited_grammar(len(request.passages), request.not_found)
        return self._chat(messages, stream, grammar, request.token_limit(self.options.max_tokens))

    def _chat(
        self, messages: list[dict[str, str]], stream: bool, grammar: Any, max_tokens: int
    ) -> Iterator[str]:
        with self._model.lock:
            try:
                result = self._model.llama.create_chat_completion(
                    messages=messages,
                    temperature=0.0,
                    max_tokens=max_tokens,
                    stream=stream,
                    seed=0,
                    grammar=grammar,
                )
                if not stream:
                    yield result["choices"][0]["message"]["content"] or ""
                    return
                for chunk in result:
                    piece = chunk["choices"][0]["delta"].get("content")
                    if piece:
                        yield piece
            except (ValueError, RuntimeError) as error:  # e.g. a prompt longer than the context
                raise BackendError(f"the local model {self.path.name} failed: {error}") from None
