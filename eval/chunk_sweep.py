"""Choose chunk size and overlap by measurement: index the corpus at each setting and score
retrieval (and extractive answers) on a question set.

    .venv/bin/python -m eval.chunk_sweep eval/questions/dev.jsonl \
        --sizes 96,128,192,256,384 --overlaps 0,32,64
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

import index  # noqa: F401  (offline switches first)


def sweep(
    questions_path: Annotated[Path, typer.Argument(help="question set (JSON Lines)")],
    sizes: str = "128,192,256,384",
    overlaps: str = "0,32,64",
    corpus: Path = Path("seeds"),
) -> None:
    from eval.metrics import aggregate, outcomes
    from eval.questions import load_questions, source_text
    from index.chunking import ChunkSpec
    from index.embedding import make_embedding
    from index.indexer import index_paths
    from index.store import ChunkStore, open_client
    from rag.backends.extractive import ExtractiveBackend
    from rag.pipeline import AnswerConfig, AnswerPipeline
    from rag.retrieval import HybridRetriever, RetrievalConfig
    from rag.support import EmbeddingCache

    questions = load_questions(questions_path, corpus)
    embedder = make_embedding()
    embed = EmbeddingCache(embedder.get_text_embedding_batch)
    columns = ("hit_at_1", "hit_at_5", "mrr", "evidence_recall_at_5", "answer_match")
    typer.echo("size overlap chunks " + " ".join(columns))
    for size in map(int, sizes.split(",")):
        for overlap in map(int, overlaps.split(",")):
            with tempfile.TemporaryDirectory() as folder:
                store = ChunkStore(open_client(Path(folder)), "sweep")
                index_paths([corpus], store, embedder, ChunkSpec(size, overlap), progress=False)
                retriever = HybridRetriever(store, embedder, RetrievalConfig())
                pipeline = AnswerPipeline(
                    retriever, ExtractiveBackend(embed=embed), AnswerConfig(), embed=embed
                )
                results = [
                    outcomes(q, pipeline.ask(q.question), lambda d: source_text(corpus, d))
                    for q in questions
                ]
                metrics = aggregate(questions, results, [0.0])
                row = " ".join(f"{metrics[c]:.3f}" for c in columns)
                typer.echo(f"{size} {overlap} {store.chunk_count()} {row}")


if __name__ == "__main__":
    typer.run(sweep)
