"""Bring your own documents, in a real browser: upload PDFs (and a bad file) into an empty
index, see them in the Library, ask, and find the page number on the citation."""

from __future__ import annotations

import re

import pytest
from browsing import CHROMIUM, ask, last_answer, serving, shoot
from corpus import SEEDS
from ports import free_port

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium"),
]
QUESTION = "How long is the planned new railway between Iran and Turkey supposed to be?"
RAILWAY = "000_9e243a5a117bdeca.pdf"


@pytest.fixture(scope="module")
def served(tmp_path_factory, seed_pdfs):
    """The app as `rag ui` serves it on loopback, over an index that does not exist yet."""
    from ui.settings import UISettings

    root = tmp_path_factory.mktemp("upload-ui")
    settings = UISettings(store_dir=root / "store", ui_port=free_port(), backend="extractive")
    with serving(settings) as url:
        yield url, settings


def test_upload_library_ask_and_page_citation(page, served, seed_pdfs, tmp_path):
    _, settings = served
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    renamed = tmp_path / "renamed.docx"  # a PDF under a Word name
    renamed.write_bytes((seed_pdfs / "004_39dbd394bf72ebd5.pdf").read_bytes())
    files = [seed_pdfs / RAILWAY, seed_pdfs / "002_e27121351d9a108d.pdf", empty, renamed]

    page.get_by_role("tab", name="Library").click()
    page.locator("#upload input[type=file]").set_input_files([str(f) for f in files])
    results = page.locator("#upload-results")
    results.get_by_text("indexing…").wait_for()
    assert results.locator("progress:not([value])").count() == 1  # the file being indexed
    shoot(page, "upload-in-progress")
    rows = results.locator("tr")
    page.wait_for_function(
        "document.querySelectorAll('#upload-results tr.indexed, #upload-results tr.skipped')"
        ".length === 4"
    )
    assert results.locator("progress[value='1']").count() == 4  # a full bar for every file
    cells = [rows.nth(i).locator("td") for i in range(1, 5)]
    text = {row.first.inner_text(): row.last.inner_text() for row in cells}
    assert re.search(r"indexed: \d+ chunks, 4 pages", text[RAILWAY])
    assert "skipped: empty file" in text["empty.pdf"]
    assert "the content is a PDF but the name ends in .docx" in text["renamed.docx"]

    library = page.locator("#library")
    entry = library.locator(f".library-entry[data-doc='{RAILWAY}']")
    entry.wait_for()
    assert re.search(
        r"PDF · 4 pages · \d+ chunks · kept [\d,]+ of [\d,]+ characters \(\d+%\), "
        r"\d+ of \d+ sentences · indexed 20\d\d-",
        entry.inner_text(),
    )
    assert library.locator(".library-entry").count() == 2  # nothing half-indexed
    kept = sorted(p.name for p in (settings.store_dir / "uploads").iterdir())
    assert len(kept) == 2 and all(re.fullmatch(r"[0-9a-f]{64}\.pdf", name) for name in kept)
    shoot(page, "library")

    page.locator("#upload").get_by_text("renamed.docx").wait_for(state="detached")  # cleared
    page.locator("#upload input[type=file]").set_input_files(str(seed_pdfs / RAILWAY))
    again = results.locator("tr.unchanged")  # the same file again is recognised
    again.wait_for()
    assert results.locator("tr").count() == 2 and RAILWAY in again.inner_text()

    page.locator(f"input[type=checkbox][name='{RAILWAY}']").check()  # ask within this one only
    ask(page, QUESTION)
    assert "200" in last_answer(page).inner_text()
    card = page.locator("#src-1-1")
    where = card.locator(".where").inner_text()
    assert re.fullmatch(r"p\. \d", where)
    assert card.locator(".open-doc").get_attribute("data-doc") == RAILWAY
    shoot(page, "page-cited-answer")

    card.locator(".open-doc").click()
    page.locator("#doc-quote").wait_for()
    assert page.locator("#document .doc-page").inner_text() == f"Page {where[3:]} of 4"
    assert "file://" not in page.locator("#document").inner_text()  # no running footers
    source = (SEEDS / RAILWAY.replace(".pdf", ".txt")).read_text(encoding="utf-8")
    assert " ".join(page.locator("#doc-quote").inner_text().split()) in " ".join(source.split())
