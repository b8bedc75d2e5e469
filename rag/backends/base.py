"""The backend contract: a name, its options, what it needs installed, one streaming call.

Built-in backends register themselves exactly the way a third-party one would:

    @register("mine")
    class Mine(Backend):
        class Options(BackendOptions):
            model_config = SettingsConfigDict(env_prefix="RAG_MINE_")
            temperature: float = 0.0

        def execute(self, request, stream=True): yield "text"

Options are keyword arguments, else the backend's own environment variables, else defaults;
an option the backend does not declare is an error, never silently dropped.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import import_module
from typing import Any, ClassVar

from pydantic import ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from rag.analysis import QuestionAnalysis
from rag.types import Passage

#: texts in, one vector each out (sentence embeddings, for backends that rank sentences)
Embed = Callable[[list[str]], list[list[float]]]


class BackendError(RuntimeError):
    """The backend is missing, down, timed out or failed; the message says which."""


@dataclass(frozen=True)
class GenerationRequest:
    question: str
    passages: list[Passage]
    system: str = ""
    prompt: str = ""
    #: the answer must be one to three sentences each followed by a passage marker [n], or
    #: exactly `not_found`; a backend that can constrain its decoding to that shape should
    cited: bool = False
    not_found: str = ""
    #: the question read once (what is asked, what an answer must hold); None: read it again
    analysis: QuestionAnalysis | None = None
    #: what the asked thing needs (a date less than a comparison); within the backend's own limit
    max_tokens: int | None = None

    def token_limit(self, limit: int) -> int:
        return min(limit, self.max_tokens or limit)


class BackendOptions(BaseSettings):
    """A backend's options; subclasses set their own `env_prefix`."""

    model_config = SettingsConfigDict(extra="forbid", populate_by_name=True, env_file=None)


class Backend(ABC):
    name: ClassVar[str]
    #: pip extra that provides what this backend imports (named in the error when missing)
    extra: ClassVar[str | None] = None
    #: whether answers are generated text that must be checked against the passages
    generative: ClassVar[bool] = True
    Options: ClassVar[type[BackendOptions]] = BackendOptions

    def __init__(self, options: BackendOptions | None = None, embed: Embed | None = None) -> None:
        self.options = options if options is not None else self.Options()
        self.embed = embed

    @abstractmethod
    def execute(self, request: GenerationRequest, stream: bool = True) -> Iterator[str]:
        """Yield the answer text, token by token when `stream`, else in one piece."""


_REGISTRY: dict[str, type[Backend]] = {}
# Built-ins are imported on first use so `rag --help` never loads llama.cpp or openai.
_BUILTINS = {
    "extractive": "rag.backends.extractive",
    "llamacpp": "rag.backends.llamacpp",
    "openai": "rag.backends.openai",
}


def register(name: str) -> Callable[[type[Backend]], type[Backend]]:
    def decorator(cls: type[Backend]) -> type[Backend]:
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return decorator


def available() -> list[str]:
    """Every backend that can be asked for by name: the built-ins and all registered ones."""
    return sorted(set(_REGISTRY) | set(_BUILTINS))


def backend_class(name: str) -> type[Backend]:
    if name not in _REGISTRY and name in _BUILTINS:
        import_module(_BUILTINS[name])
    if name not in _REGISTRY:
        raise BackendError(f"unknown backend {name!r}; choose one of: {', '.join(available())}")
    return _REGISTRY[name]


def create_backend(name: str, embed: Embed | None = None, **options: Any) -> Backend:
    cls = backend_class(name)
    try:
        validated = cls.Options(**options)
    except ValidationError as error:
        problems = "; ".join(
            f"unknown option {'.'.join(map(str, e['loc']))!r}"
            if e["type"] == "extra_forbidden"
            else f"{'.'.join(map(str, e['loc'])) or 'options'}: {e['msg']}"
            for e in error.errors()
        )
        declared = ", ".join(cls.Options.model_fields) or "none"
        raise BackendError(f"backend {name!r}: {problems} (its options: {declared})") from None
    return cls(validated, embed=embed)


def require(module: str, extra: str) -> Any:
    """Import an optional dependency, or fail naming what to install."""
    try:
        return import_module(module)
    except ImportError:
        raise BackendError(
            f"this backend needs {module!r}: install it with `uv sync --extra {extra}` "
            f"(or `pip install 'rag-chat[{extra}]'`)"
        ) from None
