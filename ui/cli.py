"""The `rag` command line. Heavy libraries are imported inside commands, so --help is instant."""

from __future__ import annotations

import json
import logging
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

import index  # noqa: F401  (offline switches first)
from rag.services.console import BackendOption, fail

if TYPE_CHECKING:  # pydantic-settings loads inside the commands: `rag --help` stays fast
    from ui.settings import UISettings

PLUGINS = "rag.commands"  # the entry-point group of packages that add commands (eval does)


class PluginGroup(TyperGroup):
    """The built-in commands, and those packages add through the `rag.commands` entry points:
    each names a `register(app: typer.Typer)` function, as `eval.cli:register` is. Plugins load
    only when they are needed (the command list, a name that is not built in): finding entry
    points reads every installed package's metadata, which `rag ask` need not wait for.
    Settings that do not validate (RAG_TOP_K=500) exit 2 naming the variable, in any command."""

    _loaded = False

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as error:  # pydantic loads with the settings, inside the commands
            from pydantic import ValidationError

            from rag.settings import problems

            if not isinstance(error, ValidationError):
                raise
            fail(f"the settings are not valid: {problems(error)}", 2)

    def list_commands(self, ctx: typer.Context) -> list[str]:
        self._load_plugins()
        return super().list_commands(ctx)

    def get_command(self, ctx: typer.Context, cmd_name: str) -> TyperCommand | TyperGroup | None:
        if cmd_name not in self.commands:
            self._load_plugins()
        return super().get_command(ctx, cmd_name)

    def _load_plugins(self) -> None:
        """Add every plugin's commands; one that fails to load is named on stderr, the rest of
        the command line works."""
        if self._loaded:
            return
        self._loaded = True
        for plugin in entry_points(group=PLUGINS):
            commands = typer.Typer()
            try:
                plugin.load()(commands)
                group = typer.main.get_group(commands)
            except Exception as error:
                _warn(f"the commands of plugin {plugin.name!r} ({plugin.value}) could not be "
                      f"loaded: {type(error).__name__}: {error}")  # fmt: skip
                continue
            for name, command in group.commands.items():
                if name in self.commands:
                    _warn(f"plugin {plugin.name!r} ({plugin.value}) adds a command {name!r}, "
                          "which exists already; it is left out")  # fmt: skip
                    continue
                self.add_command(command, name)


def _warn(text: str) -> None:
    typer.secho(f"warning: {text}", fg=typer.colors.YELLOW, err=True)


app = typer.Typer(
    cls=PluginGroup,
    help="A cited-answer chatbot over your documents: index them, ask, chat, evaluate.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.command("index")
def index_command(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="files or folders (default: seeds/)")
    ] = None,
    prune: Annotated[bool, typer.Option(help="drop documents whose files are gone")] = False,
    rebuild: Annotated[
        bool, typer.Option(help="delete the index and build it from scratch")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")] = False,
    explain: Annotated[
        Path | None,
        typer.Option(help="print what cleaning removes from FILE and why; index nothing"),
    ] = None,
) -> None:
    """Index .txt, .md, .html, .pdf and .docx files (folders recursively); unchanged files are
    skipped. Prints how much of each document read was kept, and warns where less than half of
    its prose was."""
    if explain:
        _explain(explain)
        return
    from index.store import StoreError
    from rag import factory
    from rag.settings import Settings

    settings = Settings()
    logging.basicConfig(level=logging.ERROR, format="%(message)s")
    logging.getLogger("index.store").setLevel(logging.WARNING)  # "server unreachable; retrying"
    paths = paths or [settings.corpus_dir]
    for path in paths:
        if not path.exists():
            fail(f"{path} does not exist", 2)
    try:
        report = factory.indexer(settings).index(
            paths, prune=prune, rebuild=rebuild, progress=not quiet
        )
    except StoreError as error:
        fail(str(error))
    for path, kept in report.kept:
        typer.echo(f"{path}: {kept.figure()}")
        if kept.low:
            typer.secho(f"warning: {path}: {kept.warning()}", fg=typer.colors.YELLOW, err=True)
    for skipped in report.skipped:
        typer.secho(
            f"warning: skipped {skipped.path}: {skipped.reason}", fg=typer.colors.YELLOW, err=True
        )
    typer.echo(report.summary())
    if report.skipped:
        raise typer.Exit(3)


def _explain(path: Path) -> None:
    """What cleaning keeps of one file, then every removed piece with the rule that removed it."""
    from index.documents import read_document
    from index.kept import kept, removals

    if not path.is_file():
        fail(f"{path} is not a file", 2)
    try:
        doc = read_document(path.name, path)
    except ValueError as error:
        fail(f"{path}: {error}", 3)
    found = kept(doc)
    typer.echo(f"{path}: {found.figure()}")
    if found.low:
        typer.secho(f"warning: {found.warning()}", fg=typer.colors.YELLOW)
    gone = removals(doc)
    typer.echo(f"removed: {len(gone)} piece{'s' * (len(gone) != 1)}")
    for rule, text in gone:
        shown = " ".join(text.split())
        typer.echo(f"- {rule}: {shown[:200]}{'…' * (len(shown) > 200)}")


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable")] = False,
) -> None:
    """What is indexed: documents, chunks, the store and the embedding model."""
    from index.store import StoreError
    from rag import factory
    from rag.settings import Settings

    settings = Settings()
    try:
        store = factory.store(settings)
        documents = store.documents()
        complete = store.complete(documents)
        incomplete = [d for d in documents.values() if d.doc_id not in complete]
        info = {
            "store": settings.chroma_url or str(settings.store_dir.resolve()),
            "collection": settings.collection,
            "embedding_model": settings.embedding_model,
            "documents": len(documents),
            "chunks": store.chunk_count(),
            "incomplete": [d.doc_id for d in incomplete],
            "chunk_size": settings.chunk_size,
            "chunk_overlap": settings.chunk_overlap,
            "by_document": {
                d.doc_id: {"chunks": d.n_chunks, "title": d.metadata.get("title", d.doc_id)}
                for d in sorted(documents.values(), key=lambda d: d.doc_id)
            },
        }
    except StoreError as error:
        fail(str(error))
    if as_json:
        typer.echo(json.dumps(info, indent=2))
        return
    typer.echo(f"store: {info['store']} (collection {info['collection']!r})")
    typer.echo(f"embedding model: {info['embedding_model']}")
    typer.echo(f"{info['documents']} documents, {info['chunks']} chunks")
    for doc_id, doc in info["by_document"].items():
        typer.echo(f"  {doc_id}: {doc['chunks']} chunks  {doc['title']}")
    if incomplete:
        typer.echo(f"incomplete (run `rag index` to finish): {', '.join(info['incomplete'])}")


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="a question about the documents")],
    backend: BackendOption = None,
    top_k: Annotated[
        int | None, typer.Option("--top-k", "-k", help="passages to retrieve (default: RAG_TOP_K)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Answer one question, with citations that quote the documents exactly. With a local
    model, the checked extractive answer comes first and the model's replaces it only if it
    passes every check."""
    from index.store import StoreError
    from rag.backends.base import BackendError
    from rag.services.answering import Answering
    from rag.settings import Settings, checked_top_k
    from rag.types import Completed, FirstAnswer, QuestionError, TextDelta

    try:
        checked_top_k(top_k)
    except ValueError as error:
        fail(f"--top-k: {error}", 2)
    try:
        reply = Answering(Settings()).stream(question, backend=backend, top_k=top_k)
        answer, first, draft = None, None, []
        for event in reply.events:
            match event:
                case FirstAnswer(first) if not as_json:
                    _print_answer(first)
                    typer.secho(f"… the {reply.backend} model is refining it", dim=True, err=True)
                case TextDelta(piece) if first is None and not as_json and reply.generative:
                    typer.echo(piece, nl=False)  # a model's draft, as it is written
                    draft.append(piece)
                case Completed(answer):
                    pass
    except QuestionError as error:
        fail(str(error), 2)
    except (StoreError, BackendError) as error:
        fail(str(error))
    assert answer is not None
    if as_json:
        typer.echo(json.dumps(answer.to_json_dict(), ensure_ascii=False, indent=2))
    elif first is None:
        _print_answer(answer, "".join(draft))
    elif answer.refined_by:
        typer.secho(f"Refined by {answer.refined_by}:", bold=True)
        _print_answer(answer)
    else:
        what = f"The {reply.backend} model"
        if answer.error:
            what += f" failed ({answer.error})"
        else:
            what += "'s answer did not pass the checks"
        typer.secho(f"{what}; the answer above stands.", dim=True)
    if answer.error and not first:
        raise typer.Exit(1)


def _print_answer(answer, draft: str = "") -> None:
    """The checked answer and its citations; under a model's streamed draft, it says when the
    draft did not hold (the fallback's answer or a refusal replaced it)."""
    from rag.support import strip_markers

    if draft:
        typer.echo("\n")
    if answer.error:
        typer.secho(f"error: {answer.error}", fg=typer.colors.RED, err=True)
        typer.echo("The passages retrieved for your question:")
    elif strip_markers(draft)[0].strip() != strip_markers(answer.answer)[0].strip():
        if draft:
            typer.secho("The draft above did not hold; checked against the documents:", dim=True)
        typer.echo(answer.answer)
    elif draft.strip() != answer.answer.strip():  # the same words, cited by the list below
        typer.echo(answer.answer)
    for citation in answer.citations:
        where = ", ".join(filter(None, (citation.doc_id, citation.section)))
        where += f", p. {citation.page}" if citation.page else ""
        typer.echo(f'  [{citation.n}] {citation.title} ({where}): "{citation.quote}"')
    if answer.abstained or answer.error:
        for passage in answer.retrieved[:3]:
            typer.echo(f"  - {passage.title} ({passage.doc_id}): {passage.text[:200]}…")
    timings = ", ".join(f"{k} {v:.0f} ms" for k, v in answer.timings_ms.items())
    typer.secho(f"[{answer.backend}] {timings}", dim=True)


HostOption = Annotated[
    str | None, typer.Option(help="address to listen on (default: RAG_UI_HOST, 127.0.0.1)")
]
PortOption = Annotated[
    int | None, typer.Option(min=1, max=65535, help="port (default: RAG_UI_PORT, 7860)")
]


@app.command("ui")
def ui_command(
    host: HostOption = None, port: PortOption = None, backend: BackendOption = None
) -> None:
    """Serve the chat page in the browser; /ask and the OpenAI-compatible /v1 answer scripts."""
    settings = _server_settings(host, port, backend)
    from ui.app import build_app, launch  # gradio: seconds to import

    demo = build_app(settings)
    _serving(settings)
    try:
        launch(demo, settings)
    except OSError as error:
        fail(f"cannot serve on {settings.ui_host}:{settings.ui_port}: {error}")


@app.command("serve")
def serve_command(
    host: HostOption = None, port: PortOption = None, backend: BackendOption = None
) -> None:
    """Serve only the OpenAI-compatible API (/v1/chat/completions, /v1/models), no page."""
    settings = _server_settings(host, port, backend)
    import uvicorn
    from fastapi import FastAPI

    from rag.services.answering import Answering
    from ui.api import create_api, mounted

    api = FastAPI(routes=mounted(create_api(settings, Answering(settings))))
    _serving(settings)
    try:
        uvicorn.run(api, host=settings.ui_host, port=settings.ui_port, log_level="warning")
    except OSError as error:
        fail(f"cannot serve on {settings.ui_host}:{settings.ui_port}: {error}")


def _server_settings(host: str | None, port: int | None, backend: str | None) -> UISettings:
    """The settings with the options applied, checked (exit 2) and warned about."""
    from rag.backends.base import available
    from ui.access import check_api_key, exposure_warning
    from ui.settings import UISettings

    settings = UISettings()
    changes = {"ui_host": host, "ui_port": port, "backend": backend}
    settings = settings.model_copy(update={k: v for k, v in changes.items() if v is not None})
    if settings.backend not in available():
        fail(f"unknown backend {settings.backend!r}; choose one of: {', '.join(available())}", 2)
    try:
        check_api_key(settings)  # and the login's two halves
    except ValueError as error:
        fail(str(error), 2)
    if warning := exposure_warning(settings):
        typer.secho(warning, fg=typer.colors.RED, bold=True, err=True)
    if not settings.chroma_url and not settings.store_dir.exists():
        typer.secho(
            f"warning: no index at {settings.store_dir}; build it with `rag index`",
            fg=typer.colors.YELLOW,
            err=True,
        )
    return settings


def _serving(settings: UISettings) -> None:
    where = "[::1]" if settings.ui_host == "::1" else settings.ui_host
    typer.echo(f"serving on http://{where}:{settings.ui_port} (Ctrl+C to stop)", err=True)


def main() -> None:
    app()
