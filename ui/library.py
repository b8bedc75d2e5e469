"""The Library tab: upload files (each with its own result), see every indexed document,
remove or re-index some, and choose the documents a question is asked within."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from index.documents import SUFFIXES
from index.ingest import FileResult, ingest, reindex
from index.store import StoreError
from ui import render
from ui.access import upload_allowed

if TYPE_CHECKING:
    from rag.services.shared import Services

_writing = threading.Lock()  # one upload, removal or re-index at a time in this process


class UploadsOff(gr.Error):
    def __init__(self) -> None:
        super().__init__(
            "Uploading is off on this server: it is reachable from other machines without a "
            "login (set RAG_UI_USER and RAG_UI_PASSWORD, or RAG_UI_ALLOW_UPLOAD=true)."
        )


@contextlib.contextmanager
def writing(services: Services) -> Iterator[None]:
    """Hold the store for writing: against other sessions here and `rag index` elsewhere."""
    with _writing, services.indexer.writing():
        yield


def _listing(services: Services) -> tuple[str, list[tuple[str, str]]]:
    """The document list, and the choices of the document picker (label, doc id)."""
    try:
        entries = services.library().entries()
    except StoreError as error:
        return render.document_message_html(str(error)), []
    return render.library_html(entries), [(f"{e.title} ({e.doc_id})", e.doc_id) for e in entries]


def library_state(services: Services) -> tuple[str, Any]:
    """The document list and the picker, its choice cleared."""
    listing, choices = _listing(services)
    return listing, gr.CheckboxGroup(choices=choices, value=[])


def upload(
    services: Services, files: list[str] | None, progress: gr.Progress | None = None
) -> Iterator[tuple[str, str, Any]]:
    """Index uploaded files one by one, showing each file's result as soon as it is known.
    Yields (results, library, picker)."""
    if not upload_allowed(services.settings):
        raise UploadsOff()
    paths = [Path(f) for f in files or []]
    rows = [(path.name, "waiting", "waiting…") for path in paths]
    skip = gr.skip()
    for i, path in enumerate(paths):
        rows[i] = (path.name, "indexing", "indexing…")
        if progress is not None:
            progress((i, len(paths)), desc=f"indexing {path.name}", unit="files")
        yield render.upload_results_html(rows), skip, skip
        result = _ingest_one(services, path)
        path.unlink(missing_ok=True)  # Gradio's copy: the page never serves an uploaded file
        rows[i] = (path.name, result.status, result.summary())
    yield render.upload_results_html(rows), *library_state(services)


def _ingest_one(services: Services, path: Path) -> FileResult:
    settings = services.settings
    try:
        with writing(services):
            return ingest(
                path,
                path.name,
                services.store(),
                services.indexer.embedder,
                services.indexer.spec,
                services.uploads(),
                settings.upload_max_bytes,
            )
    except (StoreError, OSError) as error:
        return FileResult(path.name, "skipped", reason=str(error))


def remove(services: Services, doc_ids: list[str] | None) -> tuple[str, str, Any]:
    """Drop the chosen documents. Returns (message, library, picker)."""
    if not upload_allowed(services.settings):
        raise UploadsOff()
    rows = []
    with writing(services):
        for doc_id in doc_ids or []:
            gone = services.library().remove(doc_id)
            rows.append((doc_id, *(("removed",) * 2 if gone else ("skipped", "not in the index"))))
    return render.upload_results_html(rows), *library_state(services)


def reindex_chosen(services: Services, doc_ids: list[str] | None) -> tuple[str, str, Any]:
    """Read the chosen documents' files again. Returns (message, library, picker)."""
    if not upload_allowed(services.settings):
        raise UploadsOff()
    rows = []
    with writing(services):
        for doc_id in doc_ids or []:
            result = reindex(
                doc_id, services.store(), services.indexer.embedder, services.indexer.spec
            )
            rows.append((doc_id, result.status, result.summary()))
    return render.upload_results_html(rows), *library_state(services)


def library_tab(services: Services) -> gr.CheckboxGroup:
    """The tab's components and events (inside a gr.Tab); returns the document picker, whose
    value (doc ids) the chat asks within."""
    allowed = upload_allowed(services.settings)
    listing, choices = _listing(services)
    if allowed:
        files = gr.File(
            label="Add documents: PDF, Word (.docx), HTML, Markdown or text",
            file_count="multiple",
            file_types=list(SUFFIXES),
            elem_id="upload",
        )
    else:
        gr.Markdown(
            "Uploading is off: this server is reachable from other machines without a login."
        )
    results = gr.HTML("", elem_id="upload-results")
    picker = gr.CheckboxGroup(
        choices=choices,
        label="Ask within these documents only (none chosen: all documents)",
        elem_id="ask-within",
    )
    with gr.Row():
        remove_button = gr.Button("Remove chosen", variant="stop", size="sm", visible=allowed)
        reindex_button = gr.Button("Re-index chosen", size="sm", visible=allowed)
        refresh = gr.Button("Refresh", size="sm")
    listing_html = gr.HTML(listing, elem_id="library")
    outputs = [results, listing_html, picker]
    if allowed:

        def on_upload(paths: list[str] | None, progress=gr.Progress()):  # noqa: B008 (Gradio finds it by its default)
            yield from upload(services, paths, progress)

        files.upload(
            on_upload,
            files,
            outputs,
            api_visibility="private",
            concurrency_id="index",
            show_progress_on=listing_html,  # the per-file results stay readable
        ).then(lambda: None, None, files, api_visibility="private")  # the next drop: a new batch
    remove_button.click(
        lambda ids: remove(services, ids), picker, outputs, api_visibility="private"
    )
    reindex_button.click(
        lambda ids: reindex_chosen(services, ids), picker, outputs, api_visibility="private"
    )
    refresh.click(
        lambda: library_state(services), None, [listing_html, picker], api_visibility="private"
    )
    return picker
