"""What a benchmark run measures (`BenchConfig`), where it reads and writes, and size names."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rag.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
DEV_QUESTIONS = ROOT / "eval" / "questions" / "dev.jsonl"
DEFAULT_OUT = ROOT / "eval" / "results" / "bench"
COLLECTION = "bench"


@dataclass
class BenchConfig:
    sizes: list[str] = field(default_factory=lambda: ["corpus"])
    out: Path = DEFAULT_OUT
    backends: list[str] = field(default_factory=lambda: ["extractive", "llamacpp"])
    reps: int = 3  # builds per side for the seed corpus
    scale_reps: int = 1  # builds per side for the synthetic corpora
    rounds: int = 3  # passes over the questions for retrieval latency
    real_embed_max: int = 2_000
    pool: int = 512
    bulk_above: int = 50_000  # larger sizes write to Chroma in buffered batches (see eval.bench)
    llm_questions: int = 10  # dev questions answered by the local model (and one follow-up each)
    llm_max_tokens: int = 256  # as shipped
    page_questions: int = 10  # asked on the chat page in Chromium (eval.bench.page); 0: none
    cold: bool = True
    seed: int = 0
    keep: Path | None = None  # keep the stores built here (for profiling); default: a temp dir

    def as_dict(self) -> dict:
        return {k: str(v) if isinstance(v, Path) else v for k, v in vars(self).items()}


def parse_size(name: str) -> int | None:
    """Chunk target of a size name: corpus (None), 1k, 10k, 100k, 2500, 5k ..."""
    name = name.strip().lower()
    if name == "corpus":
        return None
    try:
        return int(float(name[:-1]) * 1000) if name.endswith("k") else int(name)
    except ValueError:
        raise ValueError(f"unknown size {name!r}: use corpus, 1k, 10k, 100k or a number") from None


def store_settings(store_dir: Path) -> Settings:
    """The settings of a store the benchmark built: embedded, in `store_dir`."""
    from rag.settings import Settings

    return Settings(store_dir=store_dir, collection=COLLECTION, chroma_url=None)


def dev_questions(answerable_only: bool = False) -> list[str]:
    """The dev set's questions (read and checked by `eval.questions`)."""
    from eval.questions import load_questions

    questions = load_questions(DEV_QUESTIONS, SEEDS)
    return [q.question for q in questions if q.answerable or not answerable_only]
