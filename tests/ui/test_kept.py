"""`rag index` says how much of each document it kept, warns where most of the prose went, and
`rag index --explain FILE` shows every removed piece with the rule that removed it; the
Library tab shows the same figure."""

from __future__ import annotations

import pytest
from corpus import SEEDS
from typer.testing import CliRunner

from index.chunking import ChunkSpec
from index.documents import read_document
from index.ingest import ingest
from index.kept import kept
from index.store import ChunkStore, open_client
from index.uploads import UploadFolder
from rag.services.library import Library
from ui import render
from ui.cli import app

PROSE = (
    "The committee met on Monday to review the budget for the coming year in some detail. "
    "Its members agreed that the new railway should be finished before any other project. "
)


@pytest.fixture
def runner(tmp_path, monkeypatch) -> CliRunner:
    monkeypatch.setenv("RAG_STORE_DIR", str(tmp_path / "store"))
    monkeypatch.delenv("RAG_CHROMA_URL", raising=False)
    return CliRunner()


def test_index_prints_what_each_document_kept(runner, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    chrome = ("Home", "News", "Subscribe to our newsletter")
    (docs / "a.txt").write_text(f"{chrome[0]}\n{chrome[1]}\n\n{PROSE * 4}\n\n{chrome[2]}\n")
    result = runner.invoke(app, ["index", "--quiet", str(docs)])
    assert result.exit_code == 0, result.output
    line = next(line for line in result.stdout.splitlines() if "a.txt" in line)
    kept = len("".join((PROSE * 4).split()))
    total = kept + len("".join("".join(chrome).split()))
    assert f"kept {kept} of {total} characters" in line and "8 of 11 sentences" in line
    assert "warning" not in result.output


def test_index_warns_when_less_than_half_of_the_prose_is_kept(runner, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    teasers = "\n\n".join(f"Read more\n\n{PROSE}" for _ in range(8))  # small, set apart
    (docs / "b.txt").write_text(f"{teasers}\n\nMost read\n\n{PROSE * 60}")
    (docs / "c.txt").write_text(f"{teasers}\n\nMost read\n\n{PROSE * 5}")
    result = runner.invoke(app, ["index", "--quiet", str(docs)])
    assert result.exit_code == 0, result.output
    warned = [line for line in result.stderr.splitlines() if line.startswith("warning")]
    assert any("c.txt" in line and "less than half" in line for line in warned), result.output
    assert not any("b.txt" in line for line in warned)


def test_explain_names_each_removed_piece_and_its_rule(runner):
    seed = SEEDS / "003_88517bc1fb036881.txt"
    result = runner.invoke(app, ["index", "--explain", str(seed)])
    assert result.exit_code == 0, result.output
    assert "kept" in result.stdout and "sentences" in result.stdout
    lines = result.stdout.splitlines()
    assert any(line.startswith("- a link line: Copyright ©") for line in lines)
    assert any(line.startswith("- boilerplate sentence ('translate website')") for line in lines)
    assert not any("If we were to put the Turkish threats" in line for line in lines[2:])


def test_explain_of_a_file_it_cannot_read_exits_3_with_the_reason(runner, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n")
    result = runner.invoke(app, ["index", "--explain", str(empty)])
    assert result.exit_code == 3
    assert "empty file" in result.stderr


def test_the_library_shows_what_each_document_kept(tmp_path, embedder):
    store = ChunkStore(open_client(tmp_path / "store"), "corpus")
    seed = SEEDS / "003_88517bc1fb036881.txt"
    result = ingest(
        seed, seed.name, store, embedder, ChunkSpec(), UploadFolder(tmp_path / "up"), 10**7
    )
    assert result.status == "indexed"
    figure = kept(read_document(seed.name, seed)).figure()
    assert figure.startswith("kept ") and "of 60 sentences" in figure
    (entry,) = Library(store).entries()
    assert entry.kept == figure
    assert figure in render.library_html([entry])
