"""rag/backends/base.py: the backend registry, as a third-party backend uses it: register a
class by name with its own options (read from its own RAG_* variables), build it by name with
validated options, and fail naming what is wrong (an unknown backend, option or extra)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from rag.backends import base
from rag.backends.base import (
    Backend,
    BackendError,
    BackendOptions,
    GenerationRequest,
    available,
    backend_class,
    create_backend,
    register,
    require,
)

NAME = "thirdparty-test"
BUILTINS = ("extractive", "llamacpp", "openai")


@pytest.fixture
def thirdparty(monkeypatch) -> Iterator[type[Backend]]:
    """A backend registered the way a plugin would; removed from the registry afterwards."""
    monkeypatch.delenv("RAG_THIRDPARTY_GREETING", raising=False)
    monkeypatch.delenv("RAG_THIRDPARTY_REPEATS", raising=False)
    assert NAME not in base._REGISTRY

    @register(NAME)
    class ThirdParty(Backend):
        generative = False
        extra = "thirdparty"

        class Options(BackendOptions):
            model_config = SettingsConfigDict(env_prefix="RAG_THIRDPARTY_")
            greeting: str = Field("hello", description="what to say")
            repeats: int = Field(1, ge=1, le=5, description="how often")

        def execute(self, request: GenerationRequest, stream: bool = True) -> Iterator[str]:
            for i in range(self.options.repeats):
                yield ("" if i == 0 else " ") + f"{self.options.greeting} {request.question}"

    try:
        yield ThirdParty
    finally:
        base._REGISTRY.pop(NAME, None)


def request(question: str = "world") -> GenerationRequest:
    return GenerationRequest(question=question, passages=[])


# --- registering ---------------------------------------------------------------------------------


def test_a_registered_backend_is_available_beside_the_builtins(thirdparty):
    names = available()
    assert NAME in names
    assert set(BUILTINS) <= set(names)
    assert names == sorted(names)
    assert backend_class(NAME) is thirdparty
    assert thirdparty.name == NAME  # register names the class


def test_builtins_are_listed_and_a_removed_plugin_is_not():
    assert set(BUILTINS) <= set(available())
    assert NAME not in available()


def test_a_builtin_class_is_found_by_name():
    cls = backend_class("extractive")
    assert cls.name == "extractive"
    assert issubclass(cls, Backend)


# --- building with options -----------------------------------------------------------------------


def test_create_backend_builds_it_with_defaults(thirdparty):
    backend = create_backend(NAME)
    assert isinstance(backend, thirdparty)
    assert (backend.options.greeting, backend.options.repeats) == ("hello", 1)
    assert "".join(backend.execute(request())) == "hello world"


def test_create_backend_passes_validated_options(thirdparty):
    backend = create_backend(NAME, greeting="salaam", repeats="2")
    assert isinstance(backend.options, thirdparty.Options)
    assert backend.options.repeats == 2  # validated: the string became an int
    assert list(backend.execute(request("dunya"))) == ["salaam dunya", " salaam dunya"]


def test_create_backend_hands_over_the_embedder(thirdparty):
    def embed(texts):
        return [[0.0] for _ in texts]

    assert create_backend(NAME, embed=embed).embed is embed
    assert create_backend(NAME).embed is None


def test_options_come_from_the_backends_own_environment_variables(thirdparty, monkeypatch):
    monkeypatch.setenv("RAG_THIRDPARTY_GREETING", "merhaba")
    monkeypatch.setenv("RAG_THIRDPARTY_REPEATS", "3")
    backend = create_backend(NAME)
    assert (backend.options.greeting, backend.options.repeats) == ("merhaba", 3)
    assert create_backend(NAME, greeting="privet").options.greeting == "privet"  # keyword wins


def test_another_backends_environment_variables_do_not_apply(thirdparty, monkeypatch):
    monkeypatch.setenv("RAG_EXTRACTIVE_GREETING", "wrong prefix")
    monkeypatch.setenv("RAG_GREETING", "no prefix")
    assert create_backend(NAME).options.greeting == "hello"


def test_an_unknown_option_raises_naming_it_and_the_declared_ones(thirdparty):
    with pytest.raises(BackendError) as caught:
        create_backend(NAME, greting="hi")
    message = str(caught.value)
    assert repr(NAME) in message
    assert "unknown option 'greting'" in message
    assert "greeting" in message.split("its options:")[1]
    assert "repeats" in message.split("its options:")[1]


@pytest.mark.parametrize("repeats", [0, 6, "many"])
def test_an_invalid_option_value_raises_naming_the_option(thirdparty, repeats):
    with pytest.raises(BackendError, match=r"repeats: "):
        create_backend(NAME, repeats=repeats)


def test_an_invalid_environment_value_raises_naming_the_option(thirdparty, monkeypatch):
    monkeypatch.setenv("RAG_THIRDPARTY_REPEATS", "0")
    with pytest.raises(BackendError, match="repeats"):
        create_backend(NAME)


def test_an_unknown_backend_raises_listing_the_available_ones(thirdparty):
    with pytest.raises(BackendError) as caught:
        create_backend("no-such-backend")
    message = str(caught.value)
    assert "'no-such-backend'" in message
    for name in (*BUILTINS, NAME):
        assert name in message


def test_an_unknown_backend_name_is_not_guessed():
    for name in ("Extractive", "extractive ", "llama"):
        with pytest.raises(BackendError, match="choose one of"):
            backend_class(name)


# --- the contract ---------------------------------------------------------------------------------


def test_a_backend_built_directly_gets_its_default_options(thirdparty):
    backend = thirdparty()
    assert (backend.options.greeting, backend.options.repeats) == ("hello", 1)
    assert backend.embed is None


def test_a_backend_without_execute_cannot_be_built():
    class Incomplete(Backend):
        pass

    with pytest.raises(TypeError):
        Incomplete()


def test_backend_options_forbid_undeclared_fields(thirdparty):
    with pytest.raises(ValueError):
        thirdparty.Options(volume=11)


# --- optional dependencies ------------------------------------------------------------------------


def test_require_names_the_extra_to_install_when_the_module_is_missing():
    with pytest.raises(BackendError) as caught:
        require("no_such_module_xyz", "someextra")
    message = str(caught.value)
    assert "'no_such_module_xyz'" in message
    assert "--extra someextra" in message
    assert "rag-chat[someextra]" in message


def test_require_returns_the_module_when_it_is_installed():
    import json

    assert require("json", "someextra") is json
