"""The backend contract: a name, what it needs installed, and one streaming call.

Built-in backends register themselves exactly the way a third-party one would:

    @register("mine")
    class Mine(Backend):
        def execute(self, request, stream=True): yield "text"
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any, ClassVar

from rag.types import Passage


class BackendError(RuntimeError):
    """The backend is missing, down, timed out or failed; the message says which."""


@dataclass(frozen=True)
class GenerationRequest:
    question: str
    passages: list[Passage]
    system: str = ""
    prompt: str = ""
    options: dict[str, Any] = field(default_factory=dict)


class Backend(ABC):
    name: ClassVar[str]
    #: pip extra that provides what this backend imports (named in the error when missing)
    extra: ClassVar[str | None] = None
    #: whether answers are generated text that must be checked against the passages
    generative: ClassVar[bool] = True

    @abstractmethod
    def execute(self, request: GenerationRequest, stream: bool = True) -> Iterator[str]:
        """Yield the answer text, token by token when `stream`, else in one piece."""

    def complete(self, prompt: str) -> str:
        """A short single-turn completion (used to condense follow-up questions)."""
        return "".join(self.execute(GenerationRequest(question=prompt, passages=[], prompt=prompt)))


_REGISTRY: dict[str, Callable[..., Backend]] = {}
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
    return sorted(set(_REGISTRY) | set(_BUILTINS))


def create_backend(name: str, **options: Any) -> Backend:
    if name not in _REGISTRY and name in _BUILTINS:
        import_module(_BUILTINS[name])
    if name not in _REGISTRY:
        raise BackendError(f"unknown backend {name!r}; choose one of: {', '.join(available())}")
    return _REGISTRY[name](**options)


def require(module: str, extra: str) -> Any:
    """Import an optional dependency, or fail naming what to install."""
    try:
        return import_module(module)
    except ImportError:
        raise BackendError(
            f"this backend needs {module!r}: install it with `uv sync --extra {extra}` "
            f"(or `pip install 'rag-chat[{extra}]'`)"
        ) from None
