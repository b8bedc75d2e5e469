"""The chat page: a Gradio Blocks app over the answer pipeline, and its launcher.

One `Services` object per process holds the pipelines (one per backend, so the local model
is loaded once) and the store; every browser session shares it. Sessions keep their own
conversation: the chat messages and the list of `Answer`s, whose citations feed the sources
panel. The page makes no request beyond its own server: system fonts, no analytics, no share
link. `/ask` is the scripting endpoint (see `ask`); the same server answers the
OpenAI-compatible API under /v1 (`ui.api`), with the same pipelines.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
from fastapi import FastAPI

from index.store import StoreError
from index.uploads import UploadFolder
from rag import factory
from rag.backends.base import BackendError, available
from rag.pipeline import AnswerPipeline
from rag.services.chats import ChatStore, ChatStoreError
from rag.services.library import Library
from rag.types import Answer, Completed, QuestionError, TextDelta
from ui import render, sidebar
from ui.access import check_api_key, login, upload_allowed
from ui.api import create_api, mounted
from ui.library import library_tab
from ui.settings import UISettings

log = logging.getLogger(__name__)

CONCURRENCY = 4  # answers computed at once per process; the rest wait in the queue
QUEUE_SIZE = 64
MAX_TOP_K = 20

# Example questions for the seed corpus, one per document topic (never the dev-set questions).
# Documents without one get a question made from their title.
SEED_EXAMPLES = {
    "000_9e243a5a117bdeca.txt": "What do Turkey and Iran want for Syria?",
    "001_a9912d943c8d215c.txt": "Why are Moscow and Tehran looking for a new treaty?",
    "002_e27121351d9a108d.txt": "Why did Azerbaijan and Iran return to the negotiating table?",
    "003_88517bc1fb036881.txt": "What did Biden say during his visit to Jeddah?",
    "004_39dbd394bf72ebd5.txt": "What did Iran's president sign during his visit to Moscow?",
}
MAX_EXAMPLES = 4


class Services:
    """The parts every session and API request shares: one pipeline per backend, the store."""

    def __init__(self, settings: UISettings) -> None:
        self.settings = settings
        self._pipelines: dict[str, AnswerPipeline] = {}
        self._lock = threading.Lock()  # Chroma clients must not be opened concurrently
        self._store = None
        self._warm = threading.Event()  # set once the default backend answered a question
        self._chats_lock = threading.Lock()
        self._chats: ChatStore | None = None

    def pipeline(self, backend: str) -> AnswerPipeline:
        with self._lock:
            if backend in self._pipelines:
                return self._pipelines[backend]
        chosen = factory.backend(self.settings, backend)  # a local model loads outside the lock
        with self._lock:
            if backend not in self._pipelines:
                self._pipelines[backend] = factory.pipeline(
                    self.settings, backend, answer_backend=chosen
                )
            return self._pipelines[backend]

    def answering(self, backend: str) -> tuple[AnswerPipeline, str]:
        """The pipeline that answers now, and a note for the reader: while the default backend
        warms up (a local model loading), its fallback answers and the note says so."""
        fallback = self.settings.fallback
        warming = backend == self.settings.backend and not self._warm.is_set()
        if warming and fallback and fallback != backend:
            return self.pipeline(fallback), f"{fallback} while the {backend} model loads"
        return self.pipeline(backend), ""

    def store(self):
        """The store; created empty when the page may upload into it."""
        with self._lock:
            if self._store is None:
                create = upload_allowed(self.settings)
                self._store = factory.store(self.settings, create=create)
            return self._store

    def uploads(self) -> UploadFolder:
        return UploadFolder(self.settings.store_dir / "uploads")

    def chats(self) -> ChatStore | None:
        """The saved chats' database; None while it cannot be opened (tried again next time)."""
        with self._chats_lock:
            if self._chats is None:
                try:
                    self._chats = ChatStore.from_settings(self.settings)
                except ChatStoreError as error:
                    log.warning("saved chats: %s", error)
            return self._chats

    def warm_up(self, question: str) -> None:
        """Before the first visitor (in the background): load the embedder and the default
        backend and answer `question` once, which builds BM25 and, for a local model, loads it
        and caches its prompt prefix. Until then its fallback answers."""
        try:
            self.pipeline(self.settings.backend).ask(question)
        except Exception as error:  # the first question reports it properly
            log.warning("warm-up failed: %s", error)
        finally:
            self._warm.set()

    def examples(self) -> list[str]:
        try:
            titles = self.library().titles()
        except StoreError:
            return []
        found = [SEED_EXAMPLES[d] for d in titles if d in SEED_EXAMPLES]
        for doc_id, title in titles.items():
            if doc_id not in SEED_EXAMPLES and title != doc_id:
                found.append(f"What does “{title}” report?")
        return found[:MAX_EXAMPLES]

    def library(self) -> Library:
        return Library(self.store(), self.uploads())

    def document(self, doc_id: str, start: int, end: int) -> str:
        """The cleaned text of an indexed document; never a file read from a given path."""
        view = self.library().view(doc_id)
        if view is None:
            return render.document_message_html("That document is not in the index.")
        return render.document_html(
            view.title, view.metadata, view.text, view.body, start, end, view.layout
        )


# --- chat events -----------------------------------------------------------------------------


def _history(answers: list[Answer]) -> list[tuple[str, str]]:
    return [(a.question, a.answer) for a in answers if not a.error]


def respond(
    services: Services,
    question: str,
    messages: list[dict[str, Any]],
    answers: list[Answer],
    backend: str,
    top_k: float,
    show_scores: bool,
    doc_ids: list[str] | None = None,
) -> Iterator[tuple]:
    """Stream one answer into the chat, from the chosen documents only if any are chosen.
    Yields (textbox, chat, answers, sources, tabs)."""
    messages, answers = list(messages or []), list(answers or [])
    question = (question or "").strip()
    started = time.perf_counter()
    skip = gr.skip()
    if question:
        messages.append(render.user_message(question))
    messages.append(render.assistant_message(render.pending_html()))
    yield "", messages, skip, skip, skip
    try:
        pipe, note = services.answering(backend)
        pipe.validate(question)
        answer, text = None, ""
        events = pipe.stream(question, _history(answers), int(top_k), doc_ids or None)
        for event in events:
            match event:
                case TextDelta(piece):
                    text += piece
                    messages[-1] = render.assistant_message(render.streaming_html(text))
                    yield skip, messages, skip, skip, skip
                case Completed(answer):
                    pass
        assert answer is not None
        answers.append(answer)
        sources = render.sources_html(answers, show_scores)
    except (QuestionError, StoreError, BackendError) as error:
        messages[-1] = render.assistant_message(render.error_html(_sentence(str(error))))
        yield skip, messages, skip, skip, skip
        return
    except Exception as error:
        log.exception("answering %r failed", question)
        messages[-1] = render.assistant_message(
            render.error_html(
                f"Something went wrong while answering ({type(error).__name__}: {error}).",
                "The details are in the server log.",
            )
        )
        yield skip, messages, skip, skip, skip
        return
    elapsed = time.perf_counter() - started
    messages[-1] = render.assistant_message(render.answer_html(answer, len(answers), elapsed, note))
    yield skip, messages, answers, sources, gr.Tabs(selected="sources")


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:]


def ask(
    services: Services,
    question: str,
    backend: str | None = None,
    top_k: int | None = None,
    history: list[list[str]] | None = None,
) -> dict[str, Any]:
    """Answer a question from the indexed documents, with citations that quote them exactly.

    Arguments: question; backend (extractive, llamacpp or openai; default: the server's);
    top_k (passages to retrieve, 1-20); history (earlier [question, answer] pairs, for
    follow-up questions). Returns the `rag ask --json` object: answer, abstained,
    citations (n, doc_id, title, quote, start, end, score, page, section), retrieved, backend,
    timings_ms, error.
    """
    if top_k is not None and not 1 <= int(top_k) <= MAX_TOP_K:
        raise gr.Error(f"top_k must be between 1 and {MAX_TOP_K}, not {top_k}")
    if any(not isinstance(turn, list | tuple) or len(turn) != 2 for turn in history or []):
        raise gr.Error("history must be a list of [question, answer] pairs")
    turns = [(str(q), str(a)) for q, a in (history or [])]
    try:
        pipe, _ = services.answering(backend or services.settings.backend)
        answer = pipe.ask(question, turns, top_k=int(top_k) if top_k else None)
    except (QuestionError, StoreError, BackendError) as error:
        raise gr.Error(str(error)) from None
    return answer.to_json_dict()


def open_document(services: Services, event: gr.SelectData) -> tuple[str, Any]:
    """A source card's "Open in document" button: the whole cleaned document at the quote."""
    try:
        doc_id = str(event.value)
        start, end = (int(i) for i in event.index)
        page = services.document(doc_id, start, end)
    except (TypeError, ValueError):
        page = render.document_message_html("That link does not name a passage.")
    except StoreError as error:
        page = render.document_message_html(str(error))
    return page, gr.Tabs(selected="document")


# --- the page --------------------------------------------------------------------------------

STATIC = Path(__file__).parent / "static"
SYSTEM_FONTS = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial",
                "sans-serif"]  # fmt: skip
MONO_FONTS = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]


def _static(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def theme() -> gr.themes.Theme:
    return gr.themes.Soft(
        primary_hue="indigo", neutral_hue="slate", font=SYSTEM_FONTS, font_mono=MONO_FONTS
    )


def build_app(settings: UISettings) -> gr.Blocks:
    services = Services(settings)
    examples = [{"text": q} for q in services.examples()]
    warm_question = examples[0]["text"] if examples else "What do the documents say?"
    threading.Thread(target=services.warm_up, args=(warm_question,), daemon=True).start()
    backends = available()
    default_backend = settings.backend if settings.backend in backends else backends[0]

    with gr.Blocks(title="Ask the documents", analytics_enabled=False) as demo:
        answers = gr.State([])
        saved = sidebar.build()
        with gr.Column(elem_id="title"):
            gr.Markdown(
                "# Ask the documents\nAnswers come only from the indexed documents, and every "
                "claim shows the exact quote it rests on."
            )
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=420):
                chat = gr.Chatbot(
                    elem_id="chat",
                    label="Chat",
                    show_label=False,
                    height=560,
                    latex_delimiters=[],
                    buttons=["copy"],
                    feedback_options=("Like", "Dislike"),
                    placeholder="**Ask a question about the documents**, or pick an example.",
                    examples=examples or None,
                )
                saved.comment.render()
                with gr.Row(equal_height=True):
                    question = gr.Textbox(
                        elem_id="question",
                        show_label=False,
                        placeholder="Ask a question, then press Enter",
                        max_lines=6,
                        scale=6,
                        autofocus=True,
                    )
                    send = gr.Button("Ask", variant="primary", scale=0, min_width=90)
                    clear = gr.Button("New chat", variant="secondary", scale=0, min_width=130)
                with gr.Accordion("Settings", open=False, elem_id="settings"), gr.Row():
                    backend = gr.Dropdown(
                        backends, value=default_backend, label="Backend", min_width=150
                    )
                    top_k = gr.Slider(
                        1,
                        MAX_TOP_K,
                        value=settings.top_k,
                        step=1,
                        label="Passages (top-k)",
                        min_width=260,
                    )
                    show_scores = gr.Checkbox(label="Show retrieval scores", min_width=150)
            with gr.Column(scale=2, min_width=340), gr.Tabs(elem_id="side-tabs") as tabs:
                with gr.Tab("Sources", id="sources"):
                    sources = gr.HTML(
                        render.empty_sources_html(),
                        elem_id="sources",
                        js_on_load=_static("sources.js"),
                        max_height=620,
                    )
                with gr.Tab("Document", id="document"):
                    document = gr.HTML(
                        render.document_message_html(
                            "Open a source in its document with the “Open in document” button."
                        ),
                        elem_id="document",
                        js_on_load=_static("document.js"),
                        max_height=620,
                    )
                with gr.Tab("Library", id="library"):
                    within = library_tab(services)

        def answer(*args):
            yield from respond(services, *args)

        answer_event = {
            "fn": answer,
            "inputs": [question, chat, answers, backend, top_k, show_scores, within],
            "outputs": [question, chat, answers, sources, tabs],
            "api_visibility": "private",
            "concurrency_id": "answer",
            "show_progress": "hidden",
        }

        page = sidebar.Page(demo, chat, answers, sources, show_scores)
        save_event = sidebar.save_event(services.chats, saved, page)
        gr.on([question.submit, send.click], **answer_event).then(**save_event)

        def pick_example(event: gr.SelectData) -> str:
            return event.value["text"]

        chat.example_select(pick_example, None, question, api_visibility="private").then(
            **answer_event
        ).then(**save_event)
        show_scores.change(
            lambda kept, scores: render.sources_html(kept, scores),
            [answers, show_scores],
            sources,
            api_visibility="private",
        )

        def show_document(event: gr.SelectData) -> tuple[str, Any]:
            return open_document(services, event)

        sources.select(
            show_document,
            None,
            [document, tabs],
            api_visibility="private",
        )
        gr.on(
            [clear.click, chat.clear],
            lambda: ([], [], render.empty_sources_html(), "", *sidebar.CLEARED),
            None,
            [chat, answers, sources, question, *saved.cleared],
            api_visibility="private",
        )
        sidebar.wire(services.chats, saved, page)

        def api_ask(
            question: str,
            backend: str | None = None,
            top_k: int | None = None,
            history: list[list[str]] | None = None,
        ) -> dict[str, Any]:
            return ask(services, question, backend, top_k, history)

        api_ask.__doc__ = ask.__doc__
        gr.api(api_ask, api_name="ask", concurrency_id="answer")
    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_SIZE)
    demo.openai_api = create_api(settings, services.pipeline)  # served by `launch` under /v1
    return demo


# --- launching -------------------------------------------------------------------------------


def launch(demo: gr.Blocks, settings: UISettings, block: bool = True):
    """Serve the page and the /v1 API; returns (app, local_url, share_url) like
    `Blocks.launch`. ValueError when the API would need a key and has none."""
    check_api_key(settings)
    api: FastAPI = demo.openai_api
    return demo.launch(
        server_name=settings.ui_host,
        server_port=settings.ui_port,
        auth=login(settings),
        auth_message="Log in to ask the documents.",
        share=False,
        ssr_mode=False,
        mcp_server=False,
        pwa=False,
        quiet=True,
        prevent_thread_lock=not block,
        footer_links=["api"],
        theme=theme(),
        css=_static("app.css"),
        app_kwargs={"routes": mounted(api)},  # before Gradio's own routes
    )
