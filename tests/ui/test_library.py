"""The Library tab's handlers, without a browser: per-file results, the upload rules, removal."""

from __future__ import annotations

import shutil

import gradio as gr
import pytest

from ui import render
from ui.app import services_for
from ui.library import remove, upload
from ui.settings import UISettings

RAILWAY = "000_9e243a5a117bdeca.pdf"


def test_uploads_report_each_file_then_the_library(tmp_path, seed_pdfs):
    services = services_for(UISettings(store_dir=tmp_path / "store"))
    given = tmp_path / "gradio-cache" / RAILWAY  # where Gradio put the upload
    given.parent.mkdir()
    shutil.copy(seed_pdfs / RAILWAY, given)
    broken = given.with_name("notes.docx")
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    steps = list(upload(services, [str(given), str(broken)]))
    assert "indexing…" in steps[0][0] and "waiting…" in steps[0][0]
    results, listing, picker = steps[-1]
    assert "indexed: " in results and ", 4 pages" in results
    assert "skipped: a damaged Word file" in results
    assert render.esc(RAILWAY) in listing and "PDF · 4 pages" in listing
    assert [value for _, value in picker.choices] == [RAILWAY]
    assert not given.exists() and not broken.exists()  # nothing left for Gradio to serve
    kept = list((tmp_path / "store" / "uploads").iterdir())
    assert len(kept) == 1 and kept[0].suffix == ".pdf"

    results, listing, _ = remove(services, [RAILWAY, "never.pdf"])
    assert "removed" in results and "not in the index" in results
    assert "No documents" in listing and not list(kept[0].parent.iterdir())


def test_uploads_are_refused_on_an_exposed_host_without_a_login(tmp_path):
    services = services_for(UISettings(store_dir=tmp_path / "store", ui_host="0.0.0.0"))
    with pytest.raises(gr.Error, match="Uploading is off"):
        list(upload(services, []))
    with pytest.raises(gr.Error, match="Uploading is off"):
        remove(services, ["x"])
