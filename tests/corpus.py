"""Where the test data lives (importable from any test: tests/ is on pytest's pythonpath)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
DEV_SET = ROOT / "eval" / "questions" / "dev.jsonl"
ARTIFACTS = ROOT / "tests" / "artifacts"
