"""Any OpenAI-compatible chat server (llama.cpp's server, vLLM, Ollama, ...) via llama-index."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import Field, SecretStr
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
from rag.backends.grammar import cited_gbnf


@register("openai")
class OpenAIBackend(Backend):
    extra = "openai"

    class Options(BackendOptions):
        model_config = SettingsConfigDict(env_prefix="RAG_OPENAI_")
        base_url: str = Field("http://127.0.0.1:8080/v1", description="the server's /v1 URL")
        model: str = Field("local", description="the model name the server expects")
        api_key: SecretStr = SecretStr("not-needed")
        timeout: float = Field(120.0, gt=0, validation_alias="RAG_LLM_TIMEOUT_S")
        max_tokens: int = Field(256, ge=1, validation_alias="RAG_LLM_MAX_TOKENS")
        max_retries: int = Field(1, ge=0)
        grammar: bool = Field(
            False,
            description="send the citing grammar as the `grammar` field (llama.cpp's server; "
            "other servers reject unknown fields)",
        )

    def __init__(self, options: Options | None = None, embed: Embed | None = None) -> None:
        super().__init__(options, embed)
        openai_like = require("llama_index.llms.openai_like", "openai")
        options = self.options
        if not options.base_url.startswith(("http://", "https://")):
            raise BackendError(
                f"the LLM server URL must start with http:// or https://: {options.base_url!r}"
            )
        self.base_url = options.base_url
        self.llm = openai_like.OpenAILike(
            model=options.model,
            api_base=options.base_url,
            api_key=options.api_key.get_secret_value(),
            is_chat_model=True,
            temperature=0.0,
            timeout=options.timeout,
            max_retries=options.max_retries,
        )

    def execute(self, request: GenerationRequest, stream: bool = True) -> Iterator[str]:
        messages = self._messages(request.system, request.prompt or request.question)
        options: dict[str, Any] = {"max_tokens": request.token_limit(self.options.max_tokens)}
        if request.cited and self.options.grammar:
            grammar = cited_gbnf(len(request.passages), request.not_found)
            options["extra_body"] = {"grammar": grammar}
        with _server_errors(self.base_url):
            if not stream:
                yield self.llm.chat(messages, **options).message.content or ""
                return
            for response in self.llm.stream_chat(messages, **options):
                if response.delta:
                    yield response.delta

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
