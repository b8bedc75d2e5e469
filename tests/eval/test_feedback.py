"""`rag feedback export`: users' ratings of real answers become a question set that the
eval loader accepts (sources are corpus files, evidence is quoted from them)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from corpus import SEEDS

from eval.questions import load_questions
from rag import factory
from rag.services.chats import ChatStore
from rag.settings import Settings

RAG = str(Path(sys.executable).parent / "rag")
RAILWAY = "How long will the Iran-Turkey railway be?"
PERU = "What is the capital of Peru?"
SIGNED = "What did Iran's president sign during his visit to Moscow?"
TREATY = "Why are Moscow and Tehran looking for a new treaty?"


def export(store_dir: Path, chats_url: str, out: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "RAG_STORE_DIR": str(store_dir), "RAG_CHATS_URL": chats_url}
    return subprocess.run([RAG, "feedback", "export", str(out)], env=env, capture_output=True,
                          text=True, timeout=120)  # fmt: skip


def test_up_voted_answers_become_a_question_set(corpus_store, tmp_path):
    store_dir = Path(corpus_store.client.get_settings().persist_directory)
    url = f"sqlite:///{tmp_path / 'chats.db'}"
    pipe = factory.pipeline(Settings(store_dir=store_dir), "extractive")
    answers = [pipe.ask(q) for q in (RAILWAY, PERU, SIGNED, TREATY)]
    chats = ChatStore(url)
    chat = chats.save("ann", None, answers)
    chats.rate("ann", chat, 0, liked=True)
    chats.rate("ann", chat, 1, liked=True)  # agrees that the documents don't say
    chats.rate("ann", chat, 2, liked=False, comment="incomplete")
    chats.rate("ann", chat, 3, liked=True)
    other = chats.save("bob", None, [answers[3]])
    chats.rate("bob", other, 0, liked=False)  # the same question, rated again: latest wins

    out = tmp_path / "feedback.jsonl"
    done = export(store_dir, url, out)
    assert done.returncode == 0, done.stderr
    assert "2 questions written" in done.stdout and "2 down-voted" in done.stdout
    questions = load_questions(out, SEEDS)
    railway, peru = questions
    assert (railway.question, railway.answerable) == (RAILWAY, True)
    assert railway.expected_sources == sorted({c.doc_id for c in answers[0].citations})
    assert railway.evidence == [c.quote for c in answers[0].citations]
    assert any("200 kilometers" in e for e in railway.evidence)
    assert (peru.question, peru.answerable, peru.expected_sources) == (PERU, False, [])
    assert [q.id for q in questions] == ["feedback-001", "feedback-002"]


def test_nothing_to_export_is_an_error(tmp_path):
    done = export(tmp_path, f"sqlite:///{tmp_path / 'chats.db'}", tmp_path / "out.jsonl")
    assert done.returncode == 1
    assert "no up-voted answers" in done.stderr
    assert not (tmp_path / "out.jsonl").exists()
