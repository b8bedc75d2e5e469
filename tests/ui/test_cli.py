"""The `rag` command line, in process (typer's CliRunner on `ui.cli.app`): index a copy of the
seeds into a temporary store, report it, answer from it with exact quotes, and fail with the
documented exit codes and messages (2 bad input, 1 failure, 3 files skipped)."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path

import pytest
from corpus import SEEDS
from typer.testing import CliRunner

from rag.backends import base as backends_base
from rag.backends.base import Backend, BackendError, GenerationRequest, register
from rag.settings import TOP_K, TOP_K_MAX
from ui import cli
from ui.cli import app

QUESTION = "How long will the railway between Iran and Turkey be?"
COMMANDS = ("index", "status", "ask", "ui", "eval", "bench")
BACKENDS = ("extractive", "llamacpp", "openai")
SEED_NAMES = sorted(p.name for p in SEEDS.iterdir() if p.suffix == ".txt")


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="module")
def indexed(tmp_path_factory, runner):
    """`rag index --quiet <copy of the seeds>` into a new store, once for the module; yields
    (store folder, the copied seed folder, the result of the command)."""
    root = tmp_path_factory.mktemp("cli")
    docs = root / "docs"
    shutil.copytree(SEEDS, docs)
    store = root / "store"
    result = runner.invoke(app, ["index", "--quiet", str(docs)], env={"RAG_STORE_DIR": str(store)})
    return store, docs, result


@pytest.fixture
def store_env(indexed, monkeypatch) -> Path:
    """Point the commands at the indexed store (settings are read when a command runs)."""
    store, docs, result = indexed
    assert result.exit_code == 0, result.output
    monkeypatch.setenv("RAG_STORE_DIR", str(store))
    monkeypatch.delenv("RAG_CHROMA_URL", raising=False)
    monkeypatch.delenv("RAG_CHROMA_HOST", raising=False)
    monkeypatch.setenv("RAG_BACKEND", "extractive")
    return docs


def status(runner) -> dict:
    result = runner.invoke(app, ["status", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def ask_json(runner, question: str, *options: str) -> dict:
    result = runner.invoke(app, ["ask", question, "--json", *options])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# --- help -----------------------------------------------------------------------------------------


def test_help_lists_every_command(runner):
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in COMMANDS:
        assert re.search(rf"^\W*{command}\s", result.stdout, re.MULTILINE), command


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_has_its_own_help(runner, command):
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.stdout and command in result.stdout


def test_an_unknown_command_is_refused(runner):
    result = runner.invoke(app, ["indx"])
    assert result.exit_code == 2
    assert "indx" in result.output


# --- plugins: eval's commands come through the rag.commands entry points ------------------------


def test_eval_is_a_plugin_declared_in_the_installed_metadata():
    """`ui` never imports `eval` (lint-imports checks it): the installed package names eval's
    register function (`make install` after a change to pyproject.toml's entry points)."""
    plugins = {p.name: p.value for p in entry_points(group=cli.PLUGINS)}
    assert plugins.get("eval") == "eval.cli:register"


def test_a_broken_plugin_is_named_and_the_rest_of_the_command_line_works(runner, monkeypatch):
    broken = EntryPoint("broken", "no_such_package.commands:register", cli.PLUGINS)
    installed = list(entry_points(group=cli.PLUGINS))
    monkeypatch.setattr(cli, "entry_points", lambda group: [broken, *installed])
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert (
        "plugin 'broken' (no_such_package.commands:register) could not be loaded: "
        "ModuleNotFoundError" in " ".join(result.stderr.split())
    )
    for command in COMMANDS:  # the built-ins and the working plugin's
        assert re.search(rf"^\W*{command}\s", result.stdout, re.MULTILINE), command
    assert runner.invoke(app, ["sweep", "--help"]).exit_code == 0


def test_a_built_in_command_does_not_wait_for_the_plugins(runner, monkeypatch):
    def unreadable(group):
        raise AssertionError("entry points read for a built-in command")

    monkeypatch.setattr(cli, "entry_points", unreadable)
    result = runner.invoke(app, ["ask", "--help"])
    assert result.exit_code == 0 and "--top-k" in result.stdout


# --- index and status -----------------------------------------------------------------------------


def test_index_then_status_reports_the_five_seed_documents(runner, indexed, store_env):
    store, _, result = indexed
    assert "5 added" in result.stdout and "0 skipped" in result.stdout
    info = status(runner)
    assert info["documents"] == len(SEED_NAMES) == 5
    assert sorted(info["by_document"]) == SEED_NAMES
    assert info["chunks"] == sum(d["chunks"] for d in info["by_document"].values()) > 5
    assert info["incomplete"] == []
    assert Path(info["store"]) == store.resolve()


def test_indexing_again_skips_unchanged_files_and_adds_no_duplicates(runner, store_env):
    before = status(runner)
    result = runner.invoke(app, ["index", "--quiet", str(store_env)])
    assert result.exit_code == 0, result.output
    assert "0 added" in result.stdout and "5 unchanged" in result.stdout
    assert status(runner) == before


def test_status_in_words_names_the_documents(runner, store_env):
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 0, result.output
    assert "5 documents" in result.stdout
    for name in SEED_NAMES:
        assert name in result.stdout


def test_indexing_a_path_that_does_not_exist_exits_2(runner, tmp_path, monkeypatch):
    monkeypatch.setenv("RAG_STORE_DIR", str(tmp_path / "store"))
    result = runner.invoke(app, ["index", "--quiet", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "nowhere" in result.stderr and "does not exist" in result.stderr


def test_indexing_a_folder_with_a_binary_file_exits_3_naming_it(runner, tmp_path, monkeypatch):
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(SEEDS / SEED_NAMES[0], docs / SEED_NAMES[0])
    (docs / "blob.txt").write_bytes(b"PK\x03\x04\x00\x00\x00binary\x00\xff\xfe" * 50)
    monkeypatch.setenv("RAG_STORE_DIR", str(tmp_path / "store"))
    result = runner.invoke(app, ["index", "--quiet", str(docs)])
    assert result.exit_code == 3, result.output
    assert "blob.txt" in result.stderr and "binary" in result.stderr
    assert SEED_NAMES[0] not in result.stderr  # the good file is not reported as skipped
    info = status(runner)
    assert sorted(info["by_document"]) == [SEED_NAMES[0]]  # the readable file was indexed


# --- ask ------------------------------------------------------------------------------------------


def test_ask_json_answers_with_quotes_that_are_exact_slices_of_the_files(runner, store_env):
    answer = ask_json(runner, QUESTION)
    assert answer["question"] == QUESTION
    assert answer["backend"] == "extractive"
    assert answer["error"] is None and not answer["abstained"]
    assert answer["citations"]
    for citation in answer["citations"]:
        source = (store_env / citation["doc_id"]).read_text(encoding="utf-8")
        assert source[citation["start"] : citation["end"]] == citation["quote"]
        assert citation["quote"].strip()
        assert f"[{citation['n']}]" in answer["answer"]
    assert answer["retrieved"]
    for passage in answer["retrieved"]:
        assert passage["doc_id"] in SEED_NAMES


def test_ask_json_respects_top_k(runner, store_env):
    answer = ask_json(runner, QUESTION, "--top-k", "1")
    assert len(answer["retrieved"]) == 1


def test_ask_takes_top_k_up_to_the_one_bound(runner, store_env):
    answer = ask_json(runner, QUESTION, "--top-k", str(TOP_K_MAX))
    assert len(answer["retrieved"]) > TOP_K  # the seeds hold more passages than the default
    for wrong in ("0", str(TOP_K_MAX + 1)):
        result = runner.invoke(app, ["ask", QUESTION, "--top-k", wrong])
        assert result.exit_code == 2
        assert f"--top-k: top_k must be between 1 and {TOP_K_MAX}, not {wrong}" in result.stderr


@pytest.mark.parametrize("value", ["0", "500", "five"])
def test_rag_top_k_out_of_bounds_is_named_with_what_is_allowed(runner, value, monkeypatch):
    monkeypatch.setenv("RAG_TOP_K", value)
    for command in (["status"], ["ask", QUESTION]):
        result = runner.invoke(app, command)
        assert result.exit_code == 2, result.output
        assert f"error: the settings are not valid: RAG_TOP_K={value}: Input should be" in (
            result.stderr
        )


def test_ask_prints_the_answer_and_its_quotes(runner, store_env):
    result = runner.invoke(app, ["ask", QUESTION])
    assert result.exit_code == 0, result.output
    quotes = [c["quote"] for c in ask_json(runner, QUESTION)["citations"]]
    assert quotes
    for quote in quotes:
        assert quote in result.stdout


@pytest.fixture
def wrong_model(monkeypatch) -> Iterator[str]:
    """A generative backend whose every draft is wrong, registered as a plugin would be."""

    @register("wrong-model")
    class WrongModel(Backend):
        def execute(self, request: GenerationRequest, stream: bool = True) -> Iterator[str]:
            yield from ["The railway will be ", "900 kilometers long. [1]"]

    yield "wrong-model"
    monkeypatch.delitem(backends_base._REGISTRY, "wrong-model")


def test_ask_prints_an_extractive_answer_once(runner, store_env):
    result = runner.invoke(app, ["ask", QUESTION])
    assert result.exit_code == 0, result.output
    answer, *quotes = result.stdout.splitlines()
    assert answer == "Approximately 200 kilometers [1]"  # the asked words, citing their sentence
    assert sum("200 kilometers long" in line for line in quotes) == 1  # its quote
    assert "did not" not in result.stdout


REASON = "Why can't trains run straight through between Iran and Turkey?"


def test_ask_shows_the_checked_answer_first_and_keeps_it_when_the_model_is_wrong(
    runner, store_env, wrong_model
):
    result = runner.invoke(app, ["ask", REASON, "--backend", wrong_model])
    assert result.exit_code == 0, result.output
    assert "Lake Van" in result.stdout and "900" not in result.stdout  # no draft shown
    assert "refining it" in result.stderr
    assert "did not pass the checks; the answer above stands" in result.stdout


def test_ask_replaces_the_first_answer_by_a_model_answer_that_holds(runner, store_env, monkeypatch):
    @register("good-model")
    class GoodModel(Backend):
        def execute(self, request: GenerationRequest, stream: bool = True) -> Iterator[str]:
            yield "The rail line is interrupted at Lake Van, and wagons cross by ferry. [1]"

    monkeypatch.setitem(backends_base._REGISTRY, "good-model", GoodModel)
    result = runner.invoke(app, ["ask", REASON, "--backend", "good-model"])
    assert result.exit_code == 0, result.output
    first, refined = result.stdout.split("Refined by good-model:", 1)
    assert "Lake Van" in first and "wagons cross by ferry" in refined


def test_ask_keeps_the_first_answer_when_the_model_is_down(runner, store_env, monkeypatch):
    @register("down-model")
    class DownModel(Backend):
        def execute(self, request: GenerationRequest, stream: bool = True) -> Iterator[str]:
            raise BackendError("cannot reach the LLM server")

    monkeypatch.setitem(backends_base._REGISTRY, "down-model", DownModel)
    result = runner.invoke(app, ["ask", REASON, "--backend", "down-model"])
    assert result.exit_code == 0, result.output
    assert "Lake Van" in result.stdout
    assert "The down-model model failed (cannot reach the LLM server)" in result.stdout


def test_ask_without_a_fallback_streams_the_draft_and_says_it_did_not_hold(
    runner, store_env, wrong_model, monkeypatch
):
    monkeypatch.setenv("RAG_FALLBACK", "")
    result = runner.invoke(app, ["ask", QUESTION, "--backend", wrong_model])
    assert result.exit_code == 0, result.output
    draft, checked = result.stdout.split("The draft above did not hold", 1)
    assert "900 kilometers" in draft and "900" not in checked


def test_ask_an_off_topic_question_abstains_without_citations(runner, store_env):
    answer = ask_json(runner, "What is the best recipe for banana bread?")
    assert answer["abstained"] and answer["citations"] == []
    assert answer["error"] is None


@pytest.mark.parametrize("question", ["", "   ", "\n\t"])
def test_ask_an_empty_question_exits_2(runner, store_env, question):
    result = runner.invoke(app, ["ask", question, "--json"])
    assert result.exit_code == 2
    assert "empty" in result.stderr
    assert result.stdout == ""


def test_ask_an_overlong_question_exits_2(runner, store_env):
    result = runner.invoke(app, ["ask", "why " * 1000])
    assert result.exit_code == 2
    assert "limit" in result.stderr


def test_ask_with_a_misspelt_backend_fails_listing_the_backends(runner, store_env):
    result = runner.invoke(app, ["ask", QUESTION, "--backend", "extractiv"])
    assert result.exit_code != 0
    assert "extractiv" in result.stderr
    for name in BACKENDS:
        assert name in result.stderr


def test_ask_on_a_missing_store_exits_1_naming_rag_index(runner, tmp_path, monkeypatch):
    missing = tmp_path / "no-index"
    monkeypatch.setenv("RAG_STORE_DIR", str(missing))
    monkeypatch.delenv("RAG_CHROMA_URL", raising=False)
    monkeypatch.delenv("RAG_CHROMA_HOST", raising=False)
    result = runner.invoke(app, ["ask", QUESTION])
    assert result.exit_code == 1
    assert "rag index" in result.stderr
    assert not missing.exists()
    result = runner.invoke(app, ["status", "--json"])
    assert result.exit_code == 1 and "rag index" in result.stderr
