"""The evaluation and benchmark commands of `rag`: eval, bench, bench-merge, bench-chart, load,
sweep, bench-server and feedback export. A plugin of the `rag` command: pyproject.toml names
`register` in the `rag.commands` entry points, which `ui/cli.py` loads (ui never imports eval).
Heavy libraries are imported inside the commands, so `rag --help` stays fast."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from rag.services.console import BackendOption, fail

if TYPE_CHECKING:
    from rag.settings import Settings

BENCH_OUT = Path("eval/results/bench")


def register(app: typer.Typer) -> None:
    app.command("eval")(eval_command)
    app.command()(bench)
    app.command("bench-merge")(bench_merge)
    app.command("bench-chart")(bench_chart)
    app.command()(load)
    app.command()(sweep)
    app.command("bench-server")(bench_server)
    app.command("claims")(claims_command)
    app.command("judge-eval")(judge_eval)
    app.command("beir-import")(beir_import)
    app.command("eval-chart")(eval_chart)
    feedback = typer.Typer(help="users' thumbs up/down on answers", no_args_is_help=True)
    feedback.command("export")(feedback_export)
    app.add_typer(feedback, name="feedback")


def feedback_export(
    out: Annotated[Path, typer.Argument(help="the question set to write, JSON Lines")],
) -> None:
    """Write the up-voted answers as a question set (eval/README.md), for `rag eval`."""
    from eval import feedback
    from rag.services.chats import ChatStore, ChatStoreError
    from rag.settings import Settings

    try:
        exported = feedback.questions_from(ChatStore.from_settings(Settings()).feedback())
    except ChatStoreError as error:
        fail(str(error))
    if not exported.questions:
        fail(f"no up-voted answers to export ({exported.skipped} down-voted)")
    feedback.write(exported.questions, out)
    typer.echo(
        f"{len(exported.questions)} questions written to {out}; {exported.skipped} down-voted "
        "answers left out (what was wrong needs a person to say)"
    )


FORMATS = ("ours", "squad2", "beir", "rgb")


def eval_command(
    questions: Annotated[
        Path,
        typer.Argument(
            help="a question set (JSON Lines, eval/README.md), or a benchmark's file (--format)"
        ),
    ],
    backend: BackendOption = None,
    pipeline_name: Annotated[
        str, typer.Option("--pipeline", help="ours | baseline (plain llama-index, top-2)")
    ] = "ours",
    top_k: Annotated[
        int | None,
        typer.Option(
            "--top-k",
            "-k",
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
    fail_over: Annotated[
        list[str] | None,
        typer.Option(
            "--fail-over",
            help="METRIC=VALUE: exit 1 if a lower-is-better metric is above (repeatable)",
        ),
    ] = None,
    corpus: Annotated[
        Path | None, typer.Option(help="the folder sources are files in (default: RAG_CORPUS_DIR)")
    ] = None,
    fresh_index: Annotated[
        bool, typer.Option("--fresh-index", help="index the corpus into a temporary store first")
    ] = False,
    file_format: Annotated[
        str,
        typer.Option(
            "--format",
            help="ours | squad2 (a SQuAD 2.0 .json) | beir (a BEIR folder) | rgb (RGB's en.json)",
        ),
    ] = "ours",
    sample_size: Annotated[
        int | None, typer.Option("--sample", min=1, help="ask N questions drawn at random")
    ] = None,
    seed: Annotated[int, typer.Option(help="the --sample draw's seed")] = 0,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict", help="refuse to run when a source cannot be indexed (for CI gates)"
        ),
    ] = False,
    rgb_noise: Annotated[
        float, typer.Option(min=0, max=1, help="rgb: share of noise documents per question")
    ] = 0.0,
    rgb_reject: Annotated[
        bool, typer.Option("--rgb-reject", help="rgb: positives left out; must be declined")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")] = False,
) -> None:
    """Score a question set or a public benchmark (SQuAD 2.0, BEIR, RGB): retrieval, citations,
    answers, abstention, latency, and the benchmark's own measures; write reports."""
    import tempfile
    import time
    from datetime import datetime

    from eval import benchmark as benchmarks
    from eval import exports
    from eval import report as reports
    from eval.metrics import missed_bounds, parse_bounds
    from eval.questions import QuestionSetError, source_text
    from eval.runner import RETRIEVAL_DEPTH, RetrievalOnly, run
    from index.store import StoreError
    from rag.backends.base import BackendError
    from rag.settings import Settings, checked_top_k

    settings = Settings()
    backend = backend or settings.backend
    if pipeline_name not in ("ours", "baseline"):
        fail(f"--pipeline {pipeline_name!r}: choose ours or baseline", 2)
    if file_format not in FORMATS:
        fail(f"--format {file_format!r}: choose {', '.join(FORMATS)}", 2)
    if file_format == "beir" and pipeline_name == "baseline":
        fail("--format beir scores our retriever alone: drop --pipeline baseline", 2)
    try:
        checked_top_k(top_k)
        floors = parse_bounds(fail_under or [])
        ceilings = parse_bounds(fail_over or [], ceiling=True)
        previous = reports.load(compare) if compare else None
        if file_format == "ours":
            corpus = corpus or settings.corpus_dir
            if not corpus.is_dir():
                fail(
                    f"the corpus folder {corpus} does not exist (set --corpus or RAG_CORPUS_DIR)", 2
                )
            bench, unindexable = _own_set(questions, corpus, strict, sample_size, seed)
        else:
            bench = _benchmark(file_format, questions, sample_size, seed, rgb_noise, rgb_reject)
            unindexable, fresh_index = {}, True
    except QuestionSetError as error:
        fail(f"{error}\nnothing was run", 2)
    except ValueError as error:
        fail(str(error), 2)
    started = datetime.now().astimezone()
    out = out or Path("eval/results") / f"{started:%Y%m%d-%H%M%S}-{pipeline_name}-{backend}"
    if bench.retrieval_only:
        top_k = RETRIEVAL_DEPTH
    with tempfile.TemporaryDirectory(prefix="rag-eval-", ignore_cleanup_errors=True) as tmp:
        if file_format != "ours":
            corpus = Path(tmp) / "corpus"
            benchmarks.write_corpus(bench.documents, corpus)
        try:
            pipe, store, skipped = _eval_pipeline(
                settings, pipeline_name, backend, corpus, Path(tmp) if fresh_index else None
            )
            if skipped and strict and file_format != "ours":  # ours: its sources were checked
                listed = "\n".join(
                    f"  {name!r} cannot be indexed: {why}" for name, why in skipped.items()
                )
                fail(f"{len(skipped)} source(s) cannot be indexed:\n{listed}\nnothing was run", 2)
            unindexable |= skipped
            answerer = pipe
            if bench.retrieval_only:
                answerer = RetrievalOnly(pipe.retriever, RETRIEVAL_DEPTH)
            missed = benchmarks.missed(bench.questions, unindexable)
            clock = time.perf_counter()
            metrics, records = run(
                bench.questions,
                answerer,
                corpus,
                top_k,
                progress=not quiet,
                missed=missed,
                retrieval_only=bench.retrieval_only,
            )
        except (StoreError, BackendError) as error:
            fail(str(error))
        config = {
            "questions": str(questions),
            "format": file_format,
            "n_questions": len(bench.questions),
            "sample": sample_size,
            "seed": seed,
            "strict": strict,
            "pipeline": pipeline_name,
            "backend": backend,
            "top_k": top_k or (settings.top_k if pipeline_name == "ours" else 2),
            "corpus": str(corpus)
            if file_format == "ours"
            else f"{len(bench.documents)} documents from {questions}",
            "store": store,
            "embedding_model": settings.embedding_model,
            "backend_options": pipe.backend.options.model_dump(mode="json"),
            "started": started.isoformat(timespec="seconds"),
            "duration_s": round(time.perf_counter() - clock, 1),
            "out": str(out),
        }
        if file_format == "rgb":
            config |= {"rgb_noise": rgb_noise, "rgb_reject": rgb_reject}
        own = bench.scorer.score(records) if bench.scorer else None
        report = reports.build(
            metrics,
            records,
            config,
            previous,
            str(compare or ""),
            benchmark=own,
            unindexable=benchmarks.unindexable_table(bench.questions, unindexable),
        )
        paths = reports.write(report, out)
        exported = exports.write(
            records, f"{pipeline_name}-{backend}", lambda doc_id: source_text(corpus, doc_id), out
        )
    reports.print_summary(report)
    typer.echo(f"reports: {paths['json']}, {paths['md']}, {paths['html']}")
    typer.echo(f"for other tools: {', '.join(str(p) for p in exported)}")
    missed_lines = missed_bounds(metrics, floors, ceilings)
    for line in missed_lines:
        typer.secho(f"bound missed: {line}", fg=typer.colors.RED, err=True)
    if missed_lines:
        raise typer.Exit(1)


def _own_set(questions: Path, corpus: Path, strict: bool, n: int | None, seed: int):
    """Our question set, sampled by line (a conversation stays whole), and the sources that
    cannot be indexed (none with `strict`: they are problems, and nothing runs)."""
    from eval.benchmark import Benchmark, sample
    from eval.questions import load_questions

    unindexable: dict[str, str] | None = None if strict else {}
    loaded = load_questions(questions, corpus, unindexable)
    groups = list(dict.fromkeys(q.conversation or q.id for q in loaded))
    chosen = set(sample(groups, n, seed))
    picked = [q for q in loaded if (q.conversation or q.id) in chosen]
    return Benchmark({}, picked), unindexable or {}


def _benchmark(name: str, path: Path, n: int | None, seed: int, noise: float, reject: bool):
    if name == "squad2":
        from eval import squad

        return squad.load(path, n, seed)
    if name == "beir":
        from eval import beir

        return beir.load(path, n, seed)
    from eval import rgb

    return rgb.load(path, n, seed, noise, reject)


def _eval_pipeline(settings: Settings, name: str, backend: str, corpus: Path, fresh: Path | None):
    """The pipeline to evaluate, where its index lives (a fresh one in `fresh` if given), and the
    files of the corpus the fresh index could not take (name -> why)."""
    from rag import factory

    if name == "baseline":
        from eval.baseline import BaselinePipeline

        pipe = BaselinePipeline(
            corpus, factory.embedder(settings), factory.backend(settings, backend)
        )
        return pipe, "in-memory Chroma (baseline)", {}
    skipped = {}
    if fresh is not None:
        settings = settings.model_copy(update={"store_dir": fresh / "store", "chroma_url": None})
        indexed = factory.indexer(settings).index([corpus], progress=False)
        skipped = {s.path.relative_to(corpus).as_posix(): s.reason for s in indexed.skipped}
    where = "temporary (--fresh-index)" if fresh else settings.chroma_url or str(settings.store_dir)
    return factory.pipeline(settings, backend), where, skipped


def bench(
    sizes: Annotated[
        str, typer.Option(help="comma-separated: corpus (the seeds), 1k, 10k, 100k or a number")
    ] = "corpus",
    out: Annotated[Path, typer.Option(help="results folder")] = BENCH_OUT,
    backend: Annotated[
        str, typer.Option("--backend", "-b", help="answer backends to time: extractive,llamacpp")
    ] = "extractive,llamacpp",
    reps: Annotated[int, typer.Option(min=1, help="index builds per side, seed corpus")] = 3,
    scale_reps: Annotated[int, typer.Option(min=1, help="builds per side, synthetic sizes")] = 1,
    real_embed_max: Annotated[
        int, typer.Option(help="larger sizes index with reused embeddings (see eval/bench/)")
    ] = 2000,
    pool: Annotated[int, typer.Option(min=1, help="distinct texts embedded for reuse")] = 512,
    cold: Annotated[bool, typer.Option(help="time `rag ask` / `rag ui` in new processes")] = True,
) -> None:
    """Speed, memory and scale beside the plain llama-index pipeline; writes bench.json + PNG."""
    from eval.bench.config import BenchConfig
    from eval.bench.run import run

    try:
        config = BenchConfig(
            sizes=_items(sizes),
            out=out,
            backends=_items(backend),
            reps=reps,
            scale_reps=scale_reps,
            real_embed_max=real_embed_max,
            pool=pool,
            cold=cold,
        )
        result = run(config, log=lambda line: typer.echo(line, err=True))
    except ValueError as error:
        fail(str(error), 2)
    _show(result, out)


def bench_merge(
    results: Annotated[list[Path], typer.Argument(help="bench.json files; later sizes win")],
    out: Annotated[Path, typer.Option(help="results folder")] = BENCH_OUT,
) -> None:
    """Combine several `rag bench` runs into one bench.json, table and PNG."""
    from eval.bench.run import merge

    _show(merge(results, out), out)


def bench_chart(
    result: Annotated[Path, typer.Argument(help="a bench.json")] = BENCH_OUT / "bench.json",
    png: Annotated[Path | None, typer.Argument(help="default: bench.png beside it")] = None,
) -> None:
    """Draw a bench.json again: latency and indexing speed against corpus size (PNG)."""
    from eval.chart import draw

    typer.echo(draw(json.loads(result.read_text()), png or result.with_name("bench.png")))


def _show(result: dict, out: Path) -> None:
    from eval.bench.tables import table
    from eval.chart import draw

    typer.echo(table(result))
    chart = draw(result, out / "bench.png")
    typer.echo(f"results: {out / 'bench.json'}, {chart}")


def load(
    sessions: Annotated[int, typer.Option(help="extractive sessions at once")] = 25,
    api_sessions: Annotated[
        int, typer.Option(help="extractive OpenAI-API clients at once; 0 to skip")
    ] = 25,
    llamacpp_sessions: Annotated[int, typer.Option(help="0 to skip llamacpp")] = 4,
    questions: Annotated[int, typer.Option(help="per extractive session")] = 4,
    llamacpp_questions: Annotated[int, typer.Option(help="per llamacpp session")] = 2,
    fresh_index: Annotated[bool, typer.Option(help="index the seeds first")] = False,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="also write the figures here")
    ] = None,
) -> None:
    """A bounded load run against the served chat page and its /v1 API (`rag ui`, own process)."""
    import tempfile
    from dataclasses import asdict

    from eval import load as loads
    from rag.settings import Settings

    plan = [("extractive", sessions, questions)]
    if api_sessions:
        plan.append(("extractive", api_sessions, questions, "api"))
    if llamacpp_sessions:
        plan.append(("llamacpp", llamacpp_sessions, llamacpp_questions))
    with tempfile.TemporaryDirectory(prefix="rag-load-") as tmp:
        store = Settings().store_dir.resolve()
        if fresh_index:
            store = loads.fresh_store(Path(tmp) / "store")
        result = loads.run(store, plan, Path(tmp) / "server.log")
    typer.echo(loads.table(result))
    for error in result.errors[:20]:
        typer.echo(f"error: {error}", err=True)
    if json_path:
        json_path.write_text(json.dumps(asdict(result), indent=2), encoding="utf-8")
    if result.errors:
        raise typer.Exit(1)


def sweep(
    questions: Annotated[Path, typer.Argument(help="question set (JSON Lines)")],
    sizes: Annotated[str, typer.Option(help="chunk sizes, tokens")] = "128,192,256,384",
    overlaps: Annotated[str, typer.Option(help="chunk overlaps, tokens")] = "0,32,64",
    corpus: Annotated[Path, typer.Option(help="the folder to index")] = Path("seeds"),
) -> None:
    """Choose chunk size and overlap: index the corpus at each, score retrieval and answers."""
    from eval.chunk_sweep import COLUMNS
    from eval.chunk_sweep import sweep as run_sweep

    typer.echo("size overlap chunks " + " ".join(COLUMNS))
    rows = run_sweep(questions, _numbers(sizes), _numbers(overlaps), corpus)
    for size, overlap, chunks, metrics in rows:
        row = " ".join(f"{metrics[c]:.3f}" for c in COLUMNS)
        typer.echo(f"{size} {overlap} {chunks} {row}")


def bench_server(
    corpus: Annotated[Path, typer.Option(help="the documents")] = Path("seeds"),
    copies: Annotated[int, typer.Option(help="variants of every file")] = 12,
    queries: Annotated[int, typer.Option(help="per side")] = 200,
    chroma_url: Annotated[
        str | None, typer.Option(help="an existing server (default: start one)")
    ] = None,
) -> None:
    """Embedded vs client-server Chroma on the same corpus: retrieval latency, indexing time."""
    import tempfile

    from eval import bench_server as server_bench

    with tempfile.TemporaryDirectory(prefix="bench-server-") as tmp:
        figures = server_bench.run(corpus, copies, queries, chroma_url, Path(tmp))
    typer.echo(json.dumps(figures, indent=2))


def claims_command(
    written: Annotated[Path, typer.Option(help="claims written by hand (JSON Lines)")] = Path(
        "eval/questions/claims.jsonl"
    ),
    corpus: Annotated[Path, typer.Option(help="the corpus the rule-made claims come from")] = Path(
        "seeds"
    ),
    coverages: Annotated[
        str, typer.Option(help="min_coverage values to compare")
    ] = "0.4,0.5,0.6,0.7,0.8",
) -> None:
    """Score the claim check on a labelled claim-quote set: wrong claims flagged, right kept."""
    from eval.claims import labelled_pairs, score, written_pairs
    from rag.claims import check

    pairs = labelled_pairs(corpus) + written_pairs(written, corpus)
    typer.echo(f"{len(pairs)} pairs, {sum(not p.supported for p in pairs)} wrong")
    for coverage in (float(c) for c in _items(coverages)):

        def supports(pair, c=coverage) -> bool:
            return check(pair.claim, pair.quote, pair.context, min_coverage=c).supported

        scores = score(pairs, supports)
        typer.echo(f"\nmin_coverage {coverage}:\n{scores.table()}")


def judge_eval(
    sets: Annotated[
        list[str],
        typer.Argument(help="QUESTIONS=CORPUS pairs: a question set and the folder it is about"),
    ],
    model_pairs: Annotated[
        int, typer.Option(help="pairs the local model judges (0: leave the model out)")
    ] = 200,
    seed: Annotated[int, typer.Option(help="which pairs the model judges")] = 0,
) -> None:
    """Measure the answer judge's candidates on question-sentence pairs labelled from question
    sets: precision and recall of "answers", and the cost of each."""
    import random
    import tempfile
    import time

    from eval import judges
    from eval.questions import QuestionSetError, load_questions
    from rag import factory
    from rag.backends.llamacpp import LlamaCppBackend
    from rag.backends.models import resolve_model
    from rag.settings import Settings

    settings = Settings()
    pairs = []
    with tempfile.TemporaryDirectory(prefix="rag-judge-") as tmp:
        for n, item in enumerate(sets):
            questions_path, sep, corpus = item.partition("=")
            if not sep:
                fail(f"{item!r}: expected QUESTIONS=CORPUS", 2)
            try:
                questions = load_questions(Path(questions_path), Path(corpus))
            except QuestionSetError as error:
                fail(str(error), 2)
            local = settings.model_copy(
                update={"store_dir": Path(tmp) / str(n), "chroma_url": None}
            )
            indexer = factory.indexer(local)
            indexer.index([Path(corpus)], progress=False)
            retriever = factory.retriever(local, indexer.store)
            found = judges.labelled_pairs(
                questions,
                lambda text, r=retriever: r.retrieve(text),
                factory.sentence_embeddings(local),
            )
            typer.echo(
                f"{questions_path}: {len(found)} pairs, {sum(p.answers for p in found)} answer"
            )
            pairs += found
    rows = [
        judges.calibrated("relevance alone (support score)", pairs, judges.relevance),
        judges.measure("wording rules (previous release)", pairs, judges.wording_rules),
        judges.measure("constraints on the analysis", pairs, judges.constraints),
        judges.calibrated(
            "relevance + wording rules", pairs, judges.gated(judges.relevance, judges.wording_rules)
        ),
        judges.calibrated(
            "relevance + constraints", pairs, judges.gated(judges.relevance, judges.constraints)
        ),
    ]
    if model_pairs:
        sample = random.Random(seed).sample(pairs, min(model_pairs, len(pairs)))
        options = LlamaCppBackend.Options()
        model = judges.ModelJudge(resolve_model(options.model, options.cache_dir))
        clock = time.perf_counter()
        yes = {id(pair): model(pair) for pair in sample}  # one model call a pair
        typer.echo(
            f"local model: {(time.perf_counter() - clock) * 1000 / len(sample):.0f} ms a pair"
        )
        rows += [
            judges.calibrated("local model P(yes), its sample", sample, lambda p: yes[id(p)]),
            judges.calibrated(
                "local model P(yes) + constraints, its sample",
                sample,
                judges.gated(lambda p: yes[id(p)], judges.constraints),
            ),
            judges.calibrated(
                "relevance + constraints, the model's sample",
                sample,
                judges.gated(judges.relevance, judges.constraints),
            ),
        ]
    typer.echo(f"\n{len(pairs)} pairs, {sum(p.answers for p in pairs)} answer\n{judges.HEADER}")
    for row in rows:
        typer.echo(row.row())


def eval_chart(
    reports: Annotated[list[Path], typer.Argument(help="report.json files written by `rag eval`")],
    out: Annotated[Path, typer.Option(help="the PNG to write")] = Path("eval/results/runs.png"),
) -> None:
    """Several runs side by side: a bar per run for every metric (e.g. one run per backend)."""
    from eval import report as reports_module
    from eval.runs_chart import draw_runs

    try:
        loaded = [reports_module.load(path) for path in reports]
    except reports_module.ReportError as error:
        fail(str(error), 2)
    runs = [
        (f"{r['config'].get('pipeline', '?')}-{r['config'].get('backend', '?')}", r["metrics"])
        for r in loaded
    ]
    typer.echo(f"chart: {draw_runs(runs, out)}")


def beir_import(
    folder: Annotated[Path, typer.Argument(help="corpus.jsonl, queries.jsonl and qrels/ in it")],
    out: Annotated[Path, typer.Option(help="where the corpus/ folder and questions.jsonl go")],
    split: Annotated[str, typer.Option(help="which qrels file: qrels/<split>.tsv")] = "test",
) -> None:
    """Turn a BEIR folder into a corpus folder and a retrieval question set."""
    from eval.beir import import_beir
    from eval.questions import QuestionSetError

    try:
        done = import_beir(folder, out, split)
    except QuestionSetError as error:
        fail(str(error), 2)
    typer.echo(
        f"{len(done.documents)} documents in {out / 'corpus'}, {len(done.questions)} questions in "
        f"{out / 'questions.jsonl'} ({done.skipped_queries} queries without a judged document)"
    )
    typer.echo(
        f"next: RAG_STORE_DIR={out / '.rag'} rag index {out / 'corpus'} && RAG_STORE_DIR="
        f"{out / '.rag'} rag eval {out / 'questions.jsonl'} --corpus {out / 'corpus'}"
    )


def _items(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _numbers(text: str) -> list[int]:
    return [int(item) for item in _items(text)]
