"""Any OpenAI-compatible chat server (llama.cpp's server, vLLM, Ollama, ...) via llama-index."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rag.backends.base import Backend, BackendError, GenerationRequest, register, require


@register("openai")
class OpenAIBackend(Backend):
    extra = "openai"

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8080/v1",
        model: str = "local",
        api_key: str | None = None,
        timeout: float = 120.0,
        max_tokens: int = 256,
        max_retries: int = 1,
        condense_tokens: int = 64,
        **_: object,
    ) -> None:
        openai_like = require("llama_index.llms.openai_like", "openai")
        if not base_url.startswith(("http://", "https://")):
            raise BackendError(
                f"the LLM server URL must start with http:// or https://: {base_url!r}"
            )
        self.base_url = base_url
        self.max_tokens = max_tokens
        self.condense_tokens = condense_tokens
        # max_tokens stays unset here and goes with each call: set on the LLM it would override
        # the smaller limit of `complete`.
        self.llm = openai_like.OpenAILike(
            model=model,
            api_base=base_url,
            api_key=api_key or "not-needed",
            is_chat_model=True,
            temperature=0.0,
            timeout=timeout,
            max_retries=max_retries,
        )

    def execute(self, request: GenerationRequest, stream: bool = True) -> Iterator[str]:
        messages = self._messages(request.system, request.prompt or request.question)
        if not stream:
            yield self._chat(messages, self.max_tokens)
            return
        with _server_errors(self.base_url):
            for response in self.llm.stream_chat(messages, max_tokens=self.max_tokens):
                if response.delta:
                    yield response.delta

    def complete(self, prompt: str) -> str:
        return self._chat(self._messages("", prompt), self.condense_tokens)

    def _chat(self, messages: list[Any], max_tokens: int) -> str:
        with _server_errors(self.base_url):
            return self.llm.chat(messages, max_tokens=max_tokens).message.content or ""

    @staticmethod
    def _messages(system: str, user: str) -> list[Any]:
        from llama_index.core.llms import ChatMessage

        messages = [ChatMessage(role="user", content=user)]
        if system:
            messages.insert(0, ChatMessage(role="system", content=system))
        return messages


@contextmanager
def _server_errors(url: str) -> Iterator[None]:
    """The openai client's exceptions as BackendErrors that name the server."""
    import httpx
    import openai

    try:
        yield
    except openai.APITimeoutError as error:
        raise BackendError(f"the LLM server at {url} timed out: {error}") from None
    except openai.APIConnectionError as error:
        raise BackendError(f"cannot reach the LLM server at {url}: {error}") from None
    except openai.APIStatusError as error:
        raise BackendError(
            f"the LLM server at {url} answered HTTP {error.status_code}: {error.message}"
        ) from None
    except httpx.HTTPError as error:  # the stream broke after the request was accepted
        raise BackendError(f"lost the connection to the LLM server at {url}: {error}") from None
