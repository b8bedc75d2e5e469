"""The `rag` command line. Heavy libraries are imported inside commands, so --help is instant."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

import index  # noqa: F401  (offline switches first)

if TYPE_CHECKING:  # pydantic-settings loads inside the commands: `rag --help` stays fast
    from ui.settings import Settings

app = typer.Typer(
    help="A cited-answer chatbot over your documents: index them, ask, chat, evaluate.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

BackendOption = Annotated[
    str | None,
    typer.Option("--backend", "-b", help="extractive | llamacpp | openai (default: RAG_BACKEND)"),
]


def fail(message: str, code: int = 1) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


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
) -> None:
    """Index .txt, .md and .html files (folders recursively); unchanged files are skipped."""
    from index.indexer import index_paths
    from index.lock import write_lock
    from index.store import StoreError
    from ui import wiring
    from ui.settings import Settings

    settings = Settings()
    logging.basicConfig(level=logging.ERROR, format="%(message)s")
    logging.getLogger("index.store").setLevel(logging.WARNING)  # "server unreachable; retrying"
    paths = paths or [settings.corpus_dir]
    for path in paths:
        if not path.exists():
            fail(f"{path} does not exist", 2)
    try:
        with write_lock(settings.store_dir) if not settings.chroma_url else _nothing():
            if rebuild:
                _drop(settings)
            store = wiring.store(settings, create=True)
            report = index_paths(
                paths,
                store,
                wiring.settings_embedder(settings),
                wiring.chunk_spec(settings),
                prune=prune,
                progress=not quiet,
            )
    except StoreError as error:
        fail(str(error))
    for skipped in report.skipped:
        typer.secho(
            f"warning: skipped {skipped.path}: {skipped.reason}", fg=typer.colors.YELLOW, err=True
        )
    typer.echo(report.summary())
    if report.skipped:
        raise typer.Exit(3)


def _nothing():
    from contextlib import nullcontext

    return nullcontext()


def _drop(settings: Settings) -> None:
    import shutil

    if settings.chroma_url:
        from ui import wiring

        client = wiring.client(settings)
        for name in (settings.collection, f"{settings.collection}-documents"):
            if name in [c.name for c in client.list_collections()]:
                client.delete_collection(name)
        return
    for child in settings.store_dir.iterdir():
        if child.name != "write.lock":
            shutil.rmtree(child) if child.is_dir() else child.unlink()


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable")] = False,
) -> None:
    """What is indexed: documents, chunks, the store and the embedding model."""
    from index.store import StoreError
    from ui import wiring
    from ui.settings import Settings

    settings = Settings()
    try:
        store = wiring.store(settings)
        documents = store.documents()
        incomplete = [d for d in documents.values() if not store.is_complete(d)]
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
    top_k: Annotated[int | None, typer.Option("--top-k", "-k", min=1, max=50)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Answer one question, with citations that quote the documents exactly."""
    from index.store import StoreError
    from rag.backends.base import BackendError
    from rag.types import Answer, QuestionError
    from ui import wiring
    from ui.settings import Settings

    settings = Settings()
    try:
        pipe = wiring.pipeline(settings, backend)
        pipe.validate(question)
        answer = None
        for event in pipe.stream(question, top_k=top_k):
            if isinstance(event, Answer):
                answer = event
            elif not as_json:
                typer.echo(event, nl=False)
    except QuestionError as error:
        fail(str(error), 2)
    except (StoreError, BackendError) as error:
        fail(str(error))
    assert answer is not None
    if as_json:
        typer.echo(json.dumps(answer.to_json_dict(), ensure_ascii=False, indent=2))
    else:
        _print_answer(answer)
    if answer.error:
        raise typer.Exit(1)


def _print_answer(answer) -> None:
    typer.echo("\n")
    if answer.error:
        typer.secho(f"error: {answer.error}", fg=typer.colors.RED, err=True)
        typer.echo("The passages retrieved for your question:")
    elif not answer.abstained:
        typer.echo(answer.answer)
    for citation in answer.citations:
        typer.echo(f'  [{citation.n}] {citation.title} ({citation.doc_id}): "{citation.quote}"')
    if answer.abstained or answer.error:
        for passage in answer.retrieved[:3]:
            typer.echo(f"  - {passage.title} ({passage.doc_id}): {passage.text[:200]}…")
    timings = ", ".join(f"{k} {v:.0f} ms" for k, v in answer.timings_ms.items())
    typer.secho(f"[{answer.backend}] {timings}", dim=True)


@app.command("eval")
def eval_command(
    questions: Annotated[Path, typer.Argument(help="a question set, JSON Lines (eval/README.md)")],
    backend: BackendOption = None,
    pipeline_name: Annotated[
        str, typer.Option("--pipeline", help="ours | baseline (plain llama-index, top-2)")
    ] = "ours",
    top_k: Annotated[
        int | None,
        typer.Option(
            "--top-k",
            "-k",
            min=1,
            max=50,
            help="passages retrieved (default: RAG_TOP_K; 2 for baseline)",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="report folder (default: eval/results/<time>-<pipeline>-<backend>)"),
    ] = None,
    compare: Annotated[
        Path | None, typer.Option(help="an earlier report.json: report the deltas")
    ] = None,
    fail_under: Annotated[
        list[str] | None,
        typer.Option(
            "--fail-under", help="METRIC=VALUE: exit 1 if the metric is below (repeatable)"
        ),
    ] = None,
    corpus: Annotated[
        Path | None, typer.Option(help="the folder sources are files in (default: RAG_CORPUS_DIR)")
    ] = None,
    fresh_index: Annotated[
        bool, typer.Option("--fresh-index", help="index the corpus into a temporary store first")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")] = False,
) -> None:
    """Score a question set: retrieval, citations, answers, abstention, latency; write reports."""
    import tempfile
    import time
    from datetime import datetime

    from eval import report as reports
    from eval.metrics import missed_bounds, parse_bounds
    from eval.questions import QuestionSetError, load_questions
    from eval.runner import run
    from index.store import StoreError
    from rag.backends.base import BackendError
    from ui.settings import Settings

    settings = Settings()
    corpus = corpus or settings.corpus_dir
    backend = backend or settings.backend
    if pipeline_name not in ("ours", "baseline"):
        fail(f"--pipeline {pipeline_name!r}: choose ours or baseline", 2)
    if not corpus.is_dir():
        fail(f"the corpus folder {corpus} does not exist (set --corpus or RAG_CORPUS_DIR)", 2)
    try:
        bounds = parse_bounds(fail_under or [])
        previous = reports.load(compare) if compare else None
        question_set = load_questions(questions, corpus)
    except QuestionSetError as error:
        fail(f"{error}\nnothing was run", 2)
    except ValueError as error:
        fail(str(error), 2)
    started = datetime.now().astimezone()
    out = out or Path("eval/results") / f"{started:%Y%m%d-%H%M%S}-{pipeline_name}-{backend}"
    with tempfile.TemporaryDirectory(prefix="rag-eval-", ignore_cleanup_errors=True) as tmp:
        try:
            pipe, store = _eval_pipeline(
                settings, pipeline_name, backend, corpus, Path(tmp) if fresh_index else None
            )
            clock = time.perf_counter()
            metrics, records = run(question_set, pipe, corpus, top_k, progress=not quiet)
        except (StoreError, BackendError) as error:
            fail(str(error))
    config = {
        "questions": str(questions),
        "n_questions": len(question_set),
        "pipeline": pipeline_name,
        "backend": backend,
        "top_k": top_k or (settings.top_k if pipeline_name == "ours" else 2),
        "corpus": str(corpus),
        "store": store,
        "embedding_model": settings.embedding_model,
        "llm_model": settings.llm_model if backend == "llamacpp" else None,
        "started": started.isoformat(timespec="seconds"),
        "duration_s": round(time.perf_counter() - clock, 1),
        "out": str(out),
    }
    report = reports.build(metrics, records, config, previous, str(compare or ""))
    paths = reports.write(report, out)
    reports.print_summary(report)
    typer.echo(f"reports: {paths['json']}, {paths['md']}, {paths['html']}")
    missed = missed_bounds(metrics, bounds)
    for line in missed:
        typer.secho(f"fail-under: {line}", fg=typer.colors.RED, err=True)
    if missed:
        raise typer.Exit(1)


def _eval_pipeline(settings: Settings, name: str, backend: str, corpus: Path, fresh: Path | None):
    """The pipeline to evaluate, and where its index lives (a fresh one in `fresh` if given)."""
    from ui import wiring

    if name == "baseline":
        from eval.baseline import BaselinePipeline

        embed = wiring.settings_embedder(settings)
        pipe = BaselinePipeline(
            corpus, embed, wiring.backend(backend, settings), settings.llm_max_tokens
        )
        return pipe, "in-memory Chroma (baseline)"
    if fresh is not None:
        from index.indexer import index_paths

        settings = settings.model_copy(update={"store_dir": fresh, "chroma_url": None})
        store = wiring.store(settings, create=True)
        index_paths(
            [corpus],
            store,
            wiring.settings_embedder(settings),
            wiring.chunk_spec(settings),
            progress=False,
        )
    where = "temporary (--fresh-index)" if fresh else settings.chroma_url or str(settings.store_dir)
    return wiring.pipeline(settings, backend), where


@app.command()
def bench(
    sizes: Annotated[
        str, typer.Option(help="comma-separated: corpus (the seeds), 1k, 10k, 100k or a number")
    ] = "corpus",
    out: Annotated[Path, typer.Option(help="results folder")] = Path("eval/results/bench"),
    backend: Annotated[
        str, typer.Option("--backend", "-b", help="answer backends to time: extractive,llamacpp")
    ] = "extractive,llamacpp",
    reps: Annotated[int, typer.Option(min=1, help="index builds per side, seed corpus")] = 3,
    scale_reps: Annotated[int, typer.Option(min=1, help="builds per side, synthetic sizes")] = 1,
    real_embed_max: Annotated[
        int, typer.Option(help="larger sizes index with reused embeddings (see eval/bench.py)")
    ] = 2000,
    pool: Annotated[int, typer.Option(min=1, help="distinct texts embedded for reuse")] = 512,
    cold: Annotated[bool, typer.Option(help="time `rag ask` / `rag ui` in new processes")] = True,
) -> None:
    """Speed, memory and scale beside the plain llama-index pipeline; writes bench.json + PNG."""
    from eval import bench as benchmark
    from eval.chart import draw

    try:
        config = benchmark.BenchConfig(
            sizes=[s.strip() for s in sizes.split(",") if s.strip()],
            out=out,
            backends=[b.strip() for b in backend.split(",") if b.strip()],
            reps=reps,
            scale_reps=scale_reps,
            real_embed_max=real_embed_max,
            pool=pool,
            cold=cold,
        )
        result = benchmark.run(config, log=lambda line: typer.echo(line, err=True))
    except ValueError as error:
        fail(str(error), 2)
    typer.echo(benchmark.table(result))
    chart = draw(result, out / "bench.png")
    typer.echo(f"results: {out / 'bench.json'}, {chart}")


@app.command("ui")
def ui_command(
    host: Annotated[
        str | None, typer.Option(help="address to listen on (default: RAG_UI_HOST, 127.0.0.1)")
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(min=1, max=65535, help="port (default: RAG_UI_PORT, 7860)"),
    ] = None,
    backend: BackendOption = None,
) -> None:
    """Serve the chat page in the browser; the API endpoint /ask answers scripts."""
    from rag.backends.base import available
    from ui.settings import Settings

    settings = Settings()
    changes = {"ui_host": host, "ui_port": port, "backend": backend}
    settings = settings.model_copy(update={k: v for k, v in changes.items() if v is not None})
    if settings.backend not in available():
        fail(f"unknown backend {settings.backend!r}; choose one of: {', '.join(available())}", 2)
    from ui.app import build_app, exposure_warning, launch, login  # gradio: seconds to import

    try:
        login(settings)
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
    demo = build_app(settings)
    where = "[::1]" if settings.ui_host == "::1" else settings.ui_host
    typer.echo(f"serving on http://{where}:{settings.ui_port} (Ctrl+C to stop)", err=True)
    try:
        launch(demo, settings)
    except OSError as error:
        fail(f"cannot serve on {settings.ui_host}:{settings.ui_port}: {error}")


def main() -> None:
    app()
