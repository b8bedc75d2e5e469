"""Choose chunk size and overlap by measurement: index the corpus at each setting and score
retrieval (and extractive answers) on a question set.

    rag sweep eval/questions/dev.jsonl --sizes 96,128,192,256,384 --overlaps 0,32,64
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

COLUMNS = ("hit_at_1", "hit_at_5", "mrr", "evidence_recall_at_5", "answer_match")


def sweep(
    questions_path: Path, sizes: Sequence[int], overlaps: Sequence[int], corpus: Path
) -> Iterator[tuple[int, int, int, dict[str, float | None]]]:
    """(size, overlap, chunks, metrics) per setting: the corpus indexed into a temporary store,
    then the question set asked through the extractive pipeline the settings describe."""
    from eval.metrics import aggregate, outcomes
    from eval.questions import load_questions, source_text
    from rag import factory
    from rag.settings import Settings

    questions = load_questions(questions_path, corpus)
    for size in sizes:
        for overlap in overlaps:
            with tempfile.TemporaryDirectory() as folder:
                settings = Settings(
                    store_dir=Path(folder),
                    collection="sweep",
                    chroma_url=None,
                    chunk_size=size,
                    chunk_overlap=overlap,
                )
                indexer = factory.indexer(settings)
                indexer.index([corpus], progress=False)
                pipeline = factory.pipeline(settings, "extractive", chunk_store=indexer.store)
                results = [
                    outcomes(q, pipeline.ask(q.question), lambda d: source_text(corpus, d))
                    for q in questions
                ]
                yield size, overlap, indexer.store.chunk_count(), aggregate(results, [0.0])
